#!/usr/bin/env bash
# How much the lossproxy UDP relay costs, measured in one run against direct loopback
# (release builds, Linux):
#   1. datagrams/s: a load generator floods a sink with 1,200-byte datagrams, directly and
#      through `lossproxy` with no impairment; also a paced run at the 200,000/s goal;
#   2. SR goodput: rudp-send of one file to rudp-recv, directly and through the relay.
# It prints each figure and the relay/direct ratio. Not a test: numbers depend on the machine
# (on 2 cores the generator, the relay and the sink share the CPUs).
#   scripts/bench-proxy.sh [SECONDS] [FILE_SIZE]        (defaults: 3, 200MB)
#   SCRATCH_PATH=.build-x scripts/bench-proxy.sh        (build in another scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/common.sh
seconds=${1:-3}
size=${2:-200MB}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
bench_build lossproxy rudp-send rudp-recv
bench_udpload "$work/udpload"

field() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" "$2" | tail -1; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

# Starts lossproxy towards 127.0.0.1:$1 and sets proxy_port.
start_proxy() {
    "$bin/lossproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$1" --seed 1 --json > "$work/proxy.out" 2> "$work/proxy.err" &
    proxy=$!
    pids+=("$proxy")
    for _ in $(seq 200); do grep -q "listening on" "$work/proxy.err" && break; sleep 0.02; done
    proxy_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/proxy.err")
}
stop_proxy() { kill -INT "$proxy"; wait "$proxy" 2>/dev/null || true; }

# One flood (or paced run) through $1 (direct|relay); prints the sink's datagrams/s.
flood() {
    local mode=$1 rate=${2:-}
    "$work/udpload" sink 127.0.0.1:0 5 "$seconds" > "$work/sink.out" &
    local sink=$!
    for _ in $(seq 200); do grep -q port "$work/sink.out" && break; sleep 0.02; done
    local port
    port=$(field port "$work/sink.out")
    local target=$port
    if [[ $mode == relay ]]; then start_proxy "$port"; target=$proxy_port; fi
    "$work/udpload" blast "127.0.0.1:$target" 1200 "$seconds" $rate > "$work/blast.out"
    wait "$sink"
    if [[ $mode == relay ]]; then stop_proxy; fi
    echo "$(field sent "$work/blast.out") $(field rate "$work/blast.out") $(field received "$work/sink.out") $(field rate "$work/sink.out")"
}

echo "machine: $(uname -srm), $(nproc) cores; $seconds s per flood, 1,200-byte datagrams"
read -r direct_sent direct_offered direct_received direct_rate <<< "$(flood direct)"
echo "direct UDP:        offered $direct_offered/s, delivered $direct_rate datagrams/s"
read -r relay_sent relay_offered relay_received relay_rate <<< "$(flood relay)"
echo "through lossproxy: offered $relay_offered/s, delivered $relay_rate datagrams/s  (relay/direct $(ratio "$relay_rate" "$direct_rate"))"
relay_stats=$(tail -1 "$work/proxy.out")
echo "                   relay counted: $(python3 -c "import json,sys; f=json.loads(sys.argv[1])['forward']; print(f\"in {f['in']}, out {f['out']}, dropped {f['dropped']}\")" "$relay_stats")"
read -r paced_sent paced_offered paced_received paced_rate <<< "$(flood relay 200000)"
echo "paced at 200,000/s through lossproxy: sent $paced_sent, delivered $paced_received ($(python3 -c "print(f'{100 * $paced_received / $paced_sent:.2f}')")%)"

bytes=$(python3 -c "import sys; s=sys.argv[1]; u={'KB':10**3,'MB':10**6,'GB':10**9,'KiB':2**10,'MiB':2**20,'GiB':2**30}; n=next((k for k in sorted(u,key=len,reverse=True) if s.endswith(k)),None); print(int(float(s[:-len(n)])*u[n]) if n else int(s))" "$size")
head -c "$bytes" /dev/urandom > "$work/file.bin"
mkdir "$work/in"
"$bin/rudp-recv" --listen 127.0.0.1:0 --out "$work/in" --overwrite 2> "$work/recv.err" &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$work/recv.err" && break; sleep 0.02; done
receiver_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/recv.err")
goodput() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['goodput_mbps'])" "$1"; }
direct_line=$("$bin/rudp-send" "$work/file.bin" "127.0.0.1:$receiver_port" --json --name direct.bin)
start_proxy "$receiver_port"
relay_line=$("$bin/rudp-send" "$work/file.bin" "127.0.0.1:$proxy_port" --json --name relayed.bin)
stop_proxy
cmp -s "$work/file.bin" "$work/in/direct.bin" && cmp -s "$work/file.bin" "$work/in/relayed.bin" \
    || { echo "a received file differs from the source" >&2; exit 1; }
direct_goodput=$(printf '%.1f' "$(goodput "$direct_line")")
relay_goodput=$(printf '%.1f' "$(goodput "$relay_line")")
echo "SR goodput, $size: direct $direct_goodput Mbit/s, through lossproxy $relay_goodput Mbit/s (relay/direct $(ratio "$relay_goodput" "$direct_goodput"))"
