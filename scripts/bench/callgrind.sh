#!/usr/bin/env bash
# Instructions per MB of rudp-send and rudp-recv on a loopback Selective Repeat transfer, and
# per simulated packet of the simulator, counted by valgrind's callgrind: a repeatable figure to
# compare before and after an optimisation (wall-clock goodput on 2 shared cores is noisy).
#
#   scripts/bench/callgrind.sh [SIZE]        (default 16MB; callgrind runs ~50x slower)
#
# Both programs run under callgrind at once, so neither outruns the other. The fixed cost
# (process start, handshake, teardown) is a 1000-byte transfer's count, subtracted before
# dividing by the megabytes (10^6 bytes). Counts are user-space instructions only: the kernel's
# work in the system calls is not in them. Valgrind's virtual CPU does not report the SHA
# extensions, so SHA-256 runs its portable code here while the real CPU (if it has SHA-NI)
# uses the instructions; the summary therefore also gives the count without SHA-256.
#
# Environment: BENCH_BIN=DIR uses the release programs in DIR instead of building;
# CALLGRIND_JSON=FILE writes the summary as JSON; CALLGRIND_TOP=FILE writes the costliest
# functions of each side; SCRATCH_PATH as for bench.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/common.sh
size=${1:-16MB}
command -v valgrind > /dev/null || { echo "callgrind.sh: valgrind is not installed (Debian package valgrind)" >&2; exit 1; }
if [[ -n ${BENCH_BIN:-} ]]; then
    bin=$BENCH_BIN
else
    bench_build rudp-send rudp-recv rudp-lab
fi
bytes=$(bench_bytes "$size")
tiny_bytes=1000

work=$(mktemp -d)
receiver=""
cleanup() {
    [[ -n $receiver ]] && kill "$receiver" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Valgrind 3.19 cannot read the DWARF 5 debug information of Swift 6 binaries and gives up;
# copies without it keep their symbol tables, so the functions keep their names.
for program in rudp-send rudp-recv rudp-lab; do
    objcopy --strip-debug "$bin/$program" "$work/$program"
done

# profile LABEL BYTES: one sr transfer of BYTES random bytes, both sides under callgrind.
profile() {
    local label=$1 count=$2
    head -c "$count" /dev/urandom > "$work/$label.bin"
    rm -rf "$work/in"
    mkdir "$work/in"
    valgrind --tool=callgrind --callgrind-out-file="$work/$label-recv.callgrind" \
        "$work/rudp-recv" --listen 127.0.0.1:0 --out "$work/in" --once --json \
        > "$work/$label-recv.json" 2> "$work/$label-recv.err" &
    receiver=$!
    bench_wait_for "listening on" "$work/$label-recv.err" 1200
    valgrind --tool=callgrind --callgrind-out-file="$work/$label-send.callgrind" \
        "$work/rudp-send" "$work/$label.bin" "$(bench_listening_address "$work/$label-recv.err")" \
        --protocol sr --mss 1200 --json --name "$label.bin" > "$work/$label-send.json" 2> "$work/$label-send.err" \
        || { echo "the sender failed:" >&2; tail -5 "$work/$label-send.err" >&2; exit 1; }
    wait "$receiver" || { echo "the receiver failed:" >&2; tail -5 "$work/$label-recv.err" >&2; exit 1; }
    receiver=""
    cmp -s "$work/$label.bin" "$work/in/$label.bin" || { echo "the received $label file differs" >&2; exit 1; }
}

echo "sr transfer of $size ($bytes bytes) and of $tiny_bytes bytes, both sides under callgrind"
profile tiny "$tiny_bytes"
profile large "$bytes"

# The simulator: the difference between 12 and 2 transfers, so start-up cost drops out.
echo "simulator: bench-sim with 2 and with 12 transfers under callgrind"
for transfers in 2 12; do
    valgrind --tool=callgrind --callgrind-out-file="$work/sim-$transfers.callgrind" \
        "$work/rudp-lab" bench-sim --json --transfers "$transfers" > "$work/sim-$transfers.json" 2> "$work/sim-$transfers.err" \
        || { echo "bench-sim failed:" >&2; tail -5 "$work/sim-$transfers.err" >&2; exit 1; }
done

python3 - "$work" "$bytes" "$tiny_bytes" "${CALLGRIND_JSON:-}" "${CALLGRIND_TOP:-}" <<'PY'
import json, re, shutil, subprocess, sys

work, size, tiny, json_path, top_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
line_pattern = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$")
demangler = ["swift", "demangle", "--simplified"] if shutil.which("swift") else None

def functions(path):
    """Total instructions and (self instructions, function) for every function of a profile."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True, check=True).stdout
    if demangler:
        text = subprocess.run(demangler, input=text, capture_output=True, text=True, check=True).stdout
    total, rows = None, []
    for line in text.splitlines():
        match = line_pattern.match(line)
        if not match:
            continue
        count, name = int(match.group(1).replace(",", "")), match.group(2).replace(work + "/", "")
        if name.startswith("PROGRAM TOTALS"):
            total = count
        else:
            rows.append((count, name))
    return total, rows

def sha256_cost(rows):
    return sum(count for count, name in rows if "SHA256" in name)

summary = {"size": size, "fixed_cost_size": tiny}
top_lines = []
for side, program in (("send", "rudp-send"), ("recv", "rudp-recv")):
    large_total, large_rows = functions(f"{work}/large-{side}.callgrind")
    tiny_total, tiny_rows = functions(f"{work}/tiny-{side}.callgrind")
    megabytes = (size - tiny) / 1e6
    per_mb = (large_total - tiny_total) / megabytes
    sha = (sha256_cost(large_rows) - sha256_cost(tiny_rows)) / megabytes
    summary[side] = {
        "instructions": large_total, "fixed_instructions": tiny_total,
        "per_mb": round(per_mb), "sha256_per_mb": round(sha), "per_mb_without_sha256": round(per_mb - sha),
    }
    top_lines.append(f"{program}: {large_total:,} instructions for {size:,} bytes; costliest functions (self):")
    for count, name in sorted(large_rows, reverse=True)[:15]:
        top_lines.append(f"  {count:>14,} {100 * count / large_total:5.1f}%  {name[:150]}")
    top_lines.append("")
sender = json.load(open(f"{work}/large-send.json"))
summary["retransmissions"] = sender.get("retransmissions")
summary["timeouts"] = sender.get("timeouts")
summary["packets_sent"] = sender.get("packets_sent")

sim_total = {}
sim_packets = {}
for transfers in (2, 12):
    sim_total[transfers], rows = functions(f"{work}/sim-{transfers}.callgrind")
    sim_packets[transfers] = json.load(open(f"{work}/sim-{transfers}.json"))["packets"]
    if transfers == 12:
        top_lines.append(f"rudp-lab bench-sim --transfers 12: {sim_total[12]:,} instructions; costliest functions (self):")
        for count, name in sorted(rows, reverse=True)[:15]:
            top_lines.append(f"  {count:>14,} {100 * count / sim_total[12]:5.1f}%  {name[:150]}")
summary["sim"] = {
    "packets": sim_packets[12] - sim_packets[2],
    "instructions_per_packet": round((sim_total[12] - sim_total[2]) / (sim_packets[12] - sim_packets[2])),
}

for side, program in (("send", "rudp-send"), ("recv", "rudp-recv")):
    figures = summary[side]
    print(f"{program}: {figures['per_mb']:,} instructions per MB "
          f"({figures['per_mb_without_sha256']:,} without SHA-256's portable code, {figures['sha256_per_mb']:,} in it); "
          f"fixed cost {figures['fixed_instructions']:,}")
print(f"sender under callgrind: {summary['packets_sent']} packets, {summary['retransmissions']} retransmissions, {summary['timeouts']} timeouts")
print(f"simulator: {summary['sim']['instructions_per_packet']:,} instructions per simulated packet")
if json_path:
    json.dump(summary, open(json_path, "w"))
if top_path:
    open(top_path, "w").write("\n".join(top_lines) + "\n")
else:
    print()
    print("\n".join(top_lines))
PY
