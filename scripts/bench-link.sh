#!/usr/bin/env bash
# How fast the lossproxy TUN link forwards, measured in one run against the same traffic on
# loopback inside one namespace (release builds, Linux, root):
#   1. packets/s with no impairment: a load generator in namespace A floods a sink in B with
#      SIZE-byte UDP datagrams (1200 and 64 bytes), through the link; the baseline is the same
#      flood over B's loopback. Also a run paced at 100 Mbit/s (1200-byte datagrams), which
#      must arrive without loss;
#   2. TCP goodput (rudp-send --protocol tcp of one file) across the unimpaired link, and with
#      --rate 100mbit (the goodput should be close to 100 Mbit/s minus headers); the baseline
#      is TCP over B's loopback. SR goodput across the link for comparison.
# Not a test: the numbers depend on the machine (on 2 cores the generator, the link and the
# sink share the CPUs).
#   sudo scripts/bench-link.sh [SECONDS] [FILE_SIZE]      (defaults: 3, 200MB)
#   SCRATCH_PATH=.build-x scripts/bench-link.sh           (build in another scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
seconds=${1:-3}
size=${2:-200MB}
if [[ $(id -u) -ne 0 ]]; then
    echo "bench-link.sh: the TUN link needs root: sudo scripts/bench-link.sh" >&2
    exit 1
fi
work=$(mktemp -d)
ns_a="bench-link-a-$$"
ns_b="bench-link-b-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
bench_build lossproxy rudp-send rudp-recv
bench_udpload "$work/udpload"

field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$2" | tail -1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }

# Starts the link (no impairment unless given) and waits for its link-up line.
start_link() {
    "$bin/lossproxy" link --ns-a "$ns_a" --ns-b "$ns_b" --seed 1 "$@" > "$work/link.out" 2> "$work/link.err" &
    link=$!
    pids+=("$link")
    for _ in $(seq 500); do [[ -s "$work/link.out" ]] && break; sleep 0.02; done
    [[ -s "$work/link.out" ]] || { cat "$work/link.err" >&2; exit 1; }
}
stop_link() { kill -INT "$link"; wait "$link" 2>/dev/null || true; }

# One flood: $1 sink address, $2 namespace of the generator (a|b), $3 size, [$4 pace]; prints
# the sink's datagrams/s and keeps the generator's count in $work/blast.out.
flood() {
    in_b "$work/udpload" sink "$1:5001" 10 > "$work/sink.out" &
    local sink=$!
    for _ in $(seq 200); do grep -q port "$work/sink.out" 2>/dev/null && break; sleep 0.02; done
    if [[ $2 == a ]]; then
        in_a "$work/udpload" blast "$1:5001" "$3" "$seconds" ${4:-} > "$work/blast.out"
    else
        in_b "$work/udpload" blast "$1:5001" "$3" "$seconds" ${4:-} > "$work/blast.out"
    fi
    wait "$sink" || true
    field rate "$work/sink.out"
}

# One TCP or SR transfer of $work/file from A (or B for the baseline) to B: prints goodput Mbit/s.
transfer() {
    local protocol=$1 from=$2 to=$3
    rm -rf "$work/out"; mkdir -p "$work/out"
    in_b "$bin/rudp-recv" --listen "$to:9000" --out "$work/out" --once --quiet &
    local receiver=$!
    sleep 0.3
    if [[ $from == a ]]; then
        in_a "$bin/rudp-send" "$work/file" "$to:9000" --protocol "$protocol" --json > "$work/send.json"
    else
        in_b "$bin/rudp-send" "$work/file" "$to:9000" --protocol "$protocol" --json > "$work/send.json"
    fi
    wait "$receiver" || true
    sed -n 's/.*"goodput_mbps":\([0-9.]*\).*/\1/p' "$work/send.json"
}

bytes=$(python3 -c "
import re, sys
units = {'': 1, 'kb': 10**3, 'mb': 10**6, 'gb': 10**9, 'kib': 2**10, 'mib': 2**20, 'gib': 2**30}
m = re.fullmatch(r'([0-9]+)([a-z]*)', sys.argv[1].lower())
print(int(m.group(1)) * units[m.group(2)])" "$size")
head -c "$bytes" /dev/urandom > "$work/file"

echo "lossproxy link benchmark: $(nproc) cores, $(uname -sr), ${seconds}s floods, $size transfers"
start_link
echo "link: $(cat "$work/link.out")"

echo
echo "1. UDP packets/s, no impairment (generator in A, sink in B)"
for datagram in 1200 64; do
    base=$(flood 127.0.0.1 b "$datagram")
    across=$(flood 10.77.0.2 a "$datagram")
    offered=$(field rate "$work/blast.out")
    echo "   ${datagram}-byte datagrams: loopback in B $base/s; across the link $across/s" \
         "(offered $offered/s; link/loopback $(ratio "$across" "$base"))"
done
pace=$((100000000 / ((1200 + 28) * 8)))
across=$(flood 10.77.0.2 a 1200 "$pace")
sent=$(field sent "$work/blast.out")
received=$(field received "$work/sink.out")
echo "   paced at 100 Mbit/s ($pace datagrams/s of 1200 bytes): sent $sent, received $received" \
     "($(python3 -c "print(f'{100 * (1 - $received / $sent):.3f}')")% lost)"

echo
echo "2. goodput of one $size file (Mbit/s)"
base=$(transfer tcp b 127.0.0.1)
tcp=$(transfer tcp a 10.77.0.2)
sr=$(transfer sr a 10.77.0.2)
echo "   TCP over loopback in B: $base; TCP across the link: $tcp (link/loopback $(ratio "$tcp" "$base")); SR across the link: $sr"
stop_link
start_link --rate 100mbit
limited=$(transfer tcp a 10.77.0.2)
echo "   TCP across the link with --rate 100mbit: $limited (of at most $(python3 -c "print(f'{100 * 1448 / 1500:.1f}')") for 1448-byte segments in 1500-byte packets)"
stop_link
echo
echo "link statistics of the last run:"
grep "total after" "$work/link.err" | sed 's/^/   /'
