#!/usr/bin/env bash
# The sharing targets of issue 13, on lossproxy's TUN link (Linux, root): four runs of
# `rudp-lab share` at 20 Mbit/s, 10 ms each way, a queue of about one BDP, 30 s, flows started
# together, each figure printed beside its target with a verdict:
#   1. sr:bbr with tcp:cubic: Jain's index ≥ 0.8 and utilisation ≥ 90%;
#   2. sr:reno with tcp:reno: Jain's index ≥ 0.9;
#   3. two sr:bbr flows: Jain's index ≥ 0.95;
#   4. sr:none with a fixed window of 2048 beside tcp:cubic: TCP starved (below 20% of its fair share).
# and, as a reference without a target, the kernel's own BBR beside CUBIC on the same link.
# Writes results/share/ (one directory per run, each with its own README, and README.md with the
# console output). Not a test: the figures depend on the machine.
#   sudo scripts/bench-share.sh [--quick]     (--quick: 10 s runs, for a try)
#   SCRATCH_PATH=.build-x scripts/bench-share.sh (build in another scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
duration=30s
if [[ ${1:-} == --quick ]]; then duration=10s; fi
if [[ $(id -u) -ne 0 ]]; then
    echo "bench-share.sh: the TUN link needs root: sudo scripts/bench-share.sh" >&2
    exit 1
fi
out=${BENCH_OUT:-results/share}
echo "bench-share.sh: building (release)" >&2
bench_build lossproxy rudp-send rudp-recv rudp-lab
mkdir -p "$out"
link=(--rate 20mbit --delay 10ms --duration "$duration")

# share NAME ARGS...: one run into $out/NAME.
share() {
    local name=$1; shift
    echo "bench-share.sh: $name" >&2
    "$bin/rudp-lab" share "${link[@]}" --out "$out/$name" --quiet "$@"
}
share bbr-cubic --flows sr:bbr,tcp:cubic --title "sr:bbr beside tcp:cubic"
share reno-reno --flows sr:reno,tcp:reno --title "sr:reno beside tcp:reno"
share bbr-bbr --flows sr:bbr,sr:bbr --title "Two sr:bbr flows"
share collapse --flows sr:none,tcp:cubic --window 2048 --title "A fixed window of 2048 (sr:none) beside tcp:cubic"
if grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
    share kernel-bbr-cubic --flows tcp:bbr,tcp:cubic --title "Reference: kernel tcp:bbr beside tcp:cubic"
fi

python3 - "$out" > "$out/report.txt" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name): return json.load(open(os.path.join(out, name, "summary.json")))
names = ["bbr-cubic", "reno-reno", "bbr-bbr", "collapse", "kernel-bbr-cubic"]
runs = {name: load(name) for name in names if os.path.exists(os.path.join(out, name, "summary.json"))}
first = runs["bbr-cubic"]["parameters"]
print(f"rudp-lab share on lossproxy link: {first['rate_mbps']:g} Mbit/s, {first['delay_ms']:g} ms each way, "
      f"queue {first['queue']} packets (BDP {first['bdp_packets']}), {first['duration_s']:g} s, flows started together.")
print()
print(f"{'run':<17}{'flows':<24}{'goodput Mbit/s (each)':<26}{'Jain':>7}{'util.':>7}{'RTT p50/p95 ms':>17}{'base':>7}")
for name, run in runs.items():
    flows = run["flows"]
    q = run["queue_delay"]
    goodputs = " / ".join(f"{f['competing_goodput_mbps']:.2f}" for f in flows)
    def ms(v): return "—" if v is None else f"{v:.1f}"
    print(f"{name:<17}{' + '.join(run['parameters']['flows']):<24}{goodputs:<26}"
          f"{run['jain_index'] or 0:>7.3f}{(run['utilisation'] or 0) * 100:>6.0f}%"
          f"{ms(q['rtt_p50_ms']) + '/' + ms(q['rtt_p95_ms']):>17}{ms(q['base_rtt_ms']):>7}")
print()
print("TCP congestion control as each connection reported it: " + ", ".join(
    f"{name} flow {f['flow']}={f.get('tcp_cc')}" for name, run in runs.items() for f in run["flows"] if f["protocol"] == "tcp"))
print()
print("Targets (issue 13):")
print(f"{'target':<52}{'value':>10}{'required':>12}  verdict")
def row(text, value, required, shown=None):
    verdict = "not measured" if value is None else ("met" if value >= required else "missed")
    print(f"{text:<52}{(shown if shown is not None else ('—' if value is None else f'{value:.3f}')):>10}"
          f"{('≥ ' + format(required, 'g')):>12}  {verdict}")
row("sr:bbr with tcp:cubic: Jain's index", runs["bbr-cubic"]["jain_index"], 0.8)
u = runs["bbr-cubic"]["utilisation"]
row("sr:bbr with tcp:cubic: utilisation", u, 0.9, None if u is None else f"{u * 100:.1f}%")
row("sr:reno with tcp:reno: Jain's index", runs["reno-reno"]["jain_index"], 0.9)
row("two sr:bbr: Jain's index", runs["bbr-bbr"]["jain_index"], 0.95)
collapse = runs["collapse"]
tcp = next(f for f in collapse["flows"] if f["protocol"] == "tcp")
starved = tcp["starved"]
fair = collapse["fair_share_mbps"]
said = any("was starved" in line for line in collapse["reading"])
print(f"{'sr:none --window 2048 beside tcp:cubic: TCP starved':<52}"
      f"{tcp['competing_goodput_mbps'] / fair * 100:>9.1f}%{'< 20% fair':>12}  {'met' if starved else 'missed'}")
print(f"{'  and the reading says so':<52}{'yes' if said else 'no':>10}{'yes':>12}  {'met' if said == starved and said else 'missed'}")
if "kernel-bbr-cubic" in runs:
    k = runs["kernel-bbr-cubic"]
    print(f"{'reference, no target: kernel tcp:bbr with tcp:cubic, Jain':<52}{k['jain_index'] or 0:>10.3f}{'—':>12}  (for comparison)")
print()
for name, run in runs.items():
    print(f"{name}: " + " ".join(run["reading"][:1]))
PY
cat "$out/report.txt"
{
    echo "# Sharing one bottleneck"
    echo
    echo "Written by \`scripts/bench-share.sh\` $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD)" \
         "($(git status --porcelain --untracked-files=no -- . ":(exclude)results" | grep -c . || true) uncommitted files outside results/);" \
         "$(uname -sr), $(nproc) cores; kernel TCP default \`$(cat /proc/sys/net/ipv4/tcp_congestion_control)\`;" \
         "load average $(cut -d' ' -f1-3 /proc/loadavg). Each run's own README (plot, table, reading) is in its directory:" \
         "[bbr-cubic](bbr-cubic/README.md), [reno-reno](reno-reno/README.md), [bbr-bbr](bbr-bbr/README.md)," \
         "[collapse](collapse/README.md), [kernel-bbr-cubic](kernel-bbr-cubic/README.md)."
    echo
    echo '```'
    cat "$out/report.txt"
    echo '```'
} > "$out/README.md"
rm "$out/report.txt"
echo "bench-share.sh: wrote $out/README.md" >&2
