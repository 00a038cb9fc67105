#!/usr/bin/env bash
# Where the time goes: `perf record` (the cpu-clock software event, which works without hardware
# counters, as in most VMs) of rudp-recv and rudp-send during one loopback Selective Repeat
# transfer, and of the simulator (`rudp-lab bench-sim`). Prints each program's costliest
# functions by share of its own CPU samples, kernel included; complements callgrind.sh, whose
# instruction counts are repeatable but blind to the kernel and to SHA-NI.
#
#   scripts/bench/perf-profile.sh [SIZE]     (default 256MB)
#
# Environment: BENCH_BIN=DIR uses the release programs in DIR instead of building;
# BENCH_SINK_DIR=/dev/shm where the received file goes; SCRATCH_PATH as for bench.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/common.sh
size=${1:-256MB}
command -v perf > /dev/null || { echo "perf-profile.sh: perf is not installed (Debian package linux-perf)" >&2; exit 1; }
if [[ -n ${BENCH_BIN:-} ]]; then
    bin=$BENCH_BIN
else
    bench_build rudp-send rudp-recv rudp-lab
fi
bytes=$(bench_bytes "$size")
work=$(mktemp -d)
sink_root=${BENCH_SINK_DIR:-/dev/shm}
[[ -d $sink_root && -w $sink_root ]] || sink_root=$work
sink=$(mktemp -d -p "$sink_root")
receiver=""
cleanup() {
    [[ -n $receiver ]] && kill "$receiver" 2>/dev/null || true
    rm -rf "$work" "$sink"
}
trap cleanup EXIT
record=(perf record -e cpu-clock -F 2000 -g --quiet)
perf record -e cpu-clock -o "$work/probe.perf" --quiet true 2> "$work/probe.err" \
    || { echo "perf-profile.sh: perf record does not work here:" >&2; cat "$work/probe.err" >&2; exit 1; }

head -c "$bytes" /dev/urandom > "$work/file.bin"
"${record[@]}" -o "$work/recv.perf" "$bin/rudp-recv" --listen 127.0.0.1:0 --out "$sink" --once --json \
    > "$work/recv.json" 2> "$work/recv.err" &
receiver=$!
bench_wait_for "listening on" "$work/recv.err"
"${record[@]}" -o "$work/send.perf" "$bin/rudp-send" "$work/file.bin" "$(bench_listening_address "$work/recv.err")" \
    --protocol sr --mss 1200 --json > "$work/send.json" 2> "$work/send.err" \
    || { echo "the sender failed:" >&2; tail -5 "$work/send.err" >&2; exit 1; }
wait "$receiver" || { echo "the receiver failed:" >&2; tail -5 "$work/recv.err" >&2; exit 1; }
receiver=""
cmp -s "$work/file.bin" "$sink/file.bin" || { echo "the received file differs" >&2; exit 1; }
"${record[@]}" -o "$work/sim.perf" "$bin/rudp-lab" bench-sim --transfers 200 --json > "$work/sim.json" 2> "$work/sim.err"

demangle() { if command -v swift > /dev/null; then swift demangle --simplified; else cat; fi; }
# top FILE: the 20 costliest functions by self samples, with their shared object.
top() {
    perf report -i "$1" --no-children --stdio --sort dso,sym > "$1.txt" 2> /dev/null
    grep -E '^ +[0-9.]+%' "$1.txt" | sed -n 1,20p | demangle | cut -c1-160
}
echo "sr transfer of $size on loopback: $(cat "$work/send.json")"
echo
echo "rudp-send, share of its CPU samples (self):"
top "$work/send.perf"
echo
echo "rudp-recv, share of its CPU samples (self):"
top "$work/recv.perf"
echo
echo "rudp-lab bench-sim --transfers 200: $(cat "$work/sim.json")"
top "$work/sim.perf"
