#!/usr/bin/env bash
# The simulation campaign at scale: N random transfer scenarios on the virtual clock.
#
#   scripts/simulate.sh N [--start S] [--jobs J] [--quick]   run seeds S ... S+N-1 (default S=1)
#   scripts/simulate.sh --seed S [--quick]                   rerun one scenario, with its details
#
# Each seed makes one scenario (Tests/RUDPTests/CampaignGenerator.swift): stop-and-wait, Go-Back-N
# or Selective Repeat; loss 0-50 % per direction, Gilbert-Elliott bursts, reordering,
# duplication, corruption, delay 0-500 ms with jitter, sometimes a rate limit; window 1-1024;
# a size on or next to a packet or window boundary; an ISN near the 2^32 wrap; now and then a
# receiver that vanishes. The rule: the receiver holds exactly the sender's bytes and both say
# so, or both report failure; never wrong bytes, never a hang. The receiver lives as rudp-recv
# does, as a server (late FINs answered from its memory of confirmed transfers) or with --once
# (it exits after the transfer): a file it saved must never be reported failed by the sender
# unless every FIN-ACK was lost (counted apart) or the receiver vanished. Every violation prints
# the one command that reproduces it; the exit code is 1 if there was any.
# --quick uses the small scenarios of `swift test` (CampaignTests), whose failures name it.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-simulate

args=()
for argument in "$@"; do
    case $argument in
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) args+=("$argument") ;;
    esac
done

echo "simulate.sh: building (release)" >&2
swift build -c release --scratch-path "$scratch" --target RUDPSim >"$scratch.log" 2>&1 \
    || { cat "$scratch.log" >&2; exit 1; }
release=$scratch/release
mkdir -p "$scratch/campaign"
cat > "$scratch/campaign/main.swift" <<'SWIFT'
import Dispatch
import Impairment
import RUDP
import RUDPSim
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `value` with one decimal (no Foundation here).
func tenths(_ value: Double) -> String {
    let scaled = Int((value * 10).rounded())
    return "\(scaled / 10).\(scaled % 10)"
}

func fail(_ message: String) -> Never {
    fputs("simulate.sh: \(message)\n", stderr)
    exit(2)
}

var count: Int?
var start: UInt64 = 1
var single: UInt64?
var jobs = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
var profile = CampaignProfile.full
/// The number following an option, or a usage error.
func number(after option: String, _ arguments: inout IndexingIterator<ArraySlice<String>>) -> UInt64 {
    guard let text = arguments.next(), let value = UInt64(text) else { fail("\(option) needs a number") }
    return value
}

var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--seed": single = number(after: argument, &arguments)
    case "--start": start = number(after: argument, &arguments)
    case "--jobs": jobs = max(1, Int(number(after: argument, &arguments)))
    case "--quick": profile = .quick
    default:
        guard let value = Int(argument) else { fail("unknown argument '\(argument)' (see --help)") }
        count = value
    }
}

func describe(_ seed: UInt64) -> (TransferScenario, TransferOutcome, CampaignVerdict) {
    let scenario = CampaignGenerator.scenario(seed: seed, profile: profile)
    let outcome = TransferSimulation.run(scenario)
    return (scenario, outcome, CampaignVerdict(outcome, scenario: scenario))
}

if let single {
    let (scenario, outcome, verdict) = describe(single)
    print("scenario: \(scenario.reproduction)")
    print("retransmission: \(scenario.retransmission), max retries: \(scenario.maxRetries), "
          + "receiver idle timeout: \(Double(scenario.receiverIdleTimeout) / 1e9) s"
          + (scenario.receiverIdleTimeoutFollowsSender ? " or as long as the sender retries, " : " (fixed), ")
          + "receiver vanishes at: \(scenario.receiverVanishesAt.map { "\(Double($0) / 1e9) s" } ?? "never")")
    print("sender: \(outcome.senderState); receiver: \(String(describing: outcome.receiverState)) (\(scenario.receiverLifecycle)"
          + (outcome.receiverExitTime.map { ", exited at \(Double($0) / 1e9) s" } ?? "")
          + "; \(outcome.finsUnanswered) FIN(s) after the save unanswered)")
    print("delivered \(outcome.bytesDelivered) of \(scenario.size) bytes (match: \(outcome.deliveredBytesMatch)), "
          + "virtual time \(Double(outcome.endTime) / 1e9) s, hung: \(outcome.hung)")
    print("sender statistics: \(outcome.senderStatistics)")
    print("verdict: \(verdict)")
    exit(verdict.isViolation ? 1 : 0)
}

/// A short cause for a transfer both sides gave up on.
func cause(of outcome: TransferOutcome, _ scenario: TransferScenario) -> String {
    if let vanished = scenario.receiverVanishesAt, outcome.endTime >= vanished { return "receiver vanished" }
    switch outcome.senderState {
    case .failed(.peerUnreachable): return "no SYN-ACK within the retries"
    case .failed(.retriesExhausted): return "sender out of retries"
    case .failed(.peerReset(.idleTimeout, _)):
        return "receiver reset (idleTimeout, " + (scenario.receiverIdleTimeoutFollowsSender
            ? "waiting as long as the sender retries)" : "a fixed --idle-timeout)")
    case .failed(.peerReset(let code, _)): return "receiver reset (\(code))"
    default: return "\(outcome.senderState)"
    }
}

guard let count, count > 0 else { fail("give the number of scenarios, or --seed S (see --help)") }

struct Tally {
    var verdicts: [String: Int] = [:]
    var verdictExample: [String: UInt64] = [:]
    var byMode: [String: Int] = [:]
    var byLifecycle: [String: Int] = [:]
    /// Scenarios per congestion controller, and how many of them delivered.
    var byController: [String: (runs: Int, delivered: Int)] = [:]
    /// Why the sender failed, in the scenarios where both sides failed.
    var failureCauses: [String: Int] = [:]
    var failureExample: [String: UInt64] = [:]
    var violations: [(UInt64, String)] = []
    var bytes = 0
    var virtualSeconds = 0.0
    var packetsSent = 0
    var retransmissions = 0
}
let tally = Mutex(Tally())
let next = Atomic<Int>(0)
let clock = ContinuousClock()
let began = clock.now

DispatchQueue.concurrentPerform(iterations: jobs) { _ in
    while true {
        let index = next.add(1, ordering: .relaxed).oldValue
        guard index < count else { return }
        let seed = start + UInt64(index)
        let (scenario, outcome, verdict) = describe(seed)
        let done = tally.withLock { tally -> Int in
            tally.verdicts[verdict.label, default: 0] += 1
            tally.verdictExample[verdict.label] = min(tally.verdictExample[verdict.label] ?? seed, seed)
            tally.byMode["\(scenario.mode)", default: 0] += 1
            tally.byLifecycle["\(scenario.receiverLifecycle)", default: 0] += 1
            tally.byController["\(scenario.congestionControl)", default: (0, 0)].runs += 1
            if verdict == .delivered { tally.byController["\(scenario.congestionControl)"]!.delivered += 1 }
            tally.bytes += outcome.bytesDelivered
            tally.virtualSeconds += Double(outcome.endTime) / 1e9
            tally.packetsSent += outcome.senderStatistics.dataPacketsSent
            tally.retransmissions += outcome.senderStatistics.retransmissions
            if verdict == .bothFailed {
                let why = cause(of: outcome, scenario)
                tally.failureCauses[why, default: 0] += 1
                tally.failureExample[why] = min(tally.failureExample[why] ?? seed, seed)
            }
            switch verdict {
            case .violation(let why), .savedButReportedFailed(let why):
                tally.violations.append((seed, why))
                print("\(verdict.label) seed \(seed): \(why)\n  reproduce with: \(profile.reproduction(seed: seed))")
            default:
                break
            }
            return tally.verdicts.values.reduce(0, +)
        }
        if done % 1_000 == 0 { fputs("simulate.sh: \(done)/\(count) scenarios\n", stderr) }
    }
}

let result = tally.withLock { $0 }
let elapsed = clock.now - began
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("scenarios: \(count) (seeds \(start)...\(start + UInt64(count) - 1), \(profile.rawValue) profile), "
      + "wall time \(tenths(seconds)) s on \(jobs) thread(s)")
print("outcomes: " + result.verdicts.sorted { $0.key < $1.key }
    .map { "\($0.key) \($0.value) (e.g. seed \(result.verdictExample[$0.key]!))" }.joined(separator: ", "))
print("why both failed: " + result.failureCauses.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value) (e.g. seed \(result.failureExample[$0.key]!))" }.joined(separator: ", "))
func tallied(_ label: String) -> String {
    let found = result.verdicts[label, default: 0]
    return "\(found)" + (result.verdictExample[label].map { " (e.g. seed \($0))" } ?? "")
}
print("saved but reported failed: \(tallied(CampaignVerdict.savedButReportedFailedLabel)); "
      + "saved with every FIN-ACK lost (unavoidable): \(tallied(CampaignVerdict.everyFinAckLostLabel)); "
      + "saved, then the receiver vanished: \(tallied("saved, then the receiver vanished"))")
print("receivers: " + result.byLifecycle.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
print("modes: " + result.byMode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
print("congestion controllers: " + result.byController.sorted { $0.key < $1.key }
    .map { "\($0.key) \($0.value.runs) (delivered \($0.value.delivered))" }.joined(separator: ", "))
print("delivered \(result.bytes) bytes in \(result.packetsSent) DATA packets (\(result.retransmissions) retransmissions), "
      + "\(Int(result.virtualSeconds)) s of virtual time")
print("violations: \(result.violations.count)")
for (seed, why) in result.violations.sorted(by: { $0.0 < $1.0 }) {
    print("  seed \(seed): \(why) — \(profile.reproduction(seed: seed))")
}
exit(result.violations.isEmpty ? 0 : 1)
SWIFT

binary=$scratch/campaign/simulate
objects=()
for module in RUDP Impairment RUDPSim CRUDPShim; do
    for object in "$release/$module.build"/*.o; do objects+=("$object"); done
done
if [ ! -x "$binary" ] || [ -n "$(find Tests/RUDPTests/CampaignGenerator.swift "$scratch/campaign/main.swift" "${objects[@]}" -newer "$binary" 2>/dev/null)" ]; then
    echo "simulate.sh: linking the campaign driver" >&2
    swiftc -O -module-name Campaign -I "$release/Modules" \
        -Xcc -fmodule-map-file="$release/CRUDPShim.build/module.modulemap" -I Sources/CRUDPShim/include \
        "$scratch/campaign/main.swift" Tests/RUDPTests/CampaignGenerator.swift "${objects[@]}" -o "$binary"
fi
exec "$binary" "${args[@]}"
