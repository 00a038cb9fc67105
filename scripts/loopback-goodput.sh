#!/usr/bin/env bash
# Goodput of sw, gbn, sr and tcp on loopback for one file, measured in one run with release
# builds, each protocol against kernel TCP measured in the same run (ratios, not bare times).
#   scripts/loopback-goodput.sh [SIZE]      (default 64MB)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-64MB}
scratch=(${RUDP_SCRATCH:+--scratch-path "$RUDP_SCRATCH"})
swift build -c release "${scratch[@]}" --product rudp-send >/dev/null
swift build -c release "${scratch[@]}" --product rudp-recv >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
work=$(mktemp -d)
trap 'kill $receiver 2>/dev/null; rm -rf "$work"' EXIT
bytes=$(python3 -c "import sys; s=sys.argv[1]; u={'KB':10**3,'MB':10**6,'GB':10**9,'KiB':2**10,'MiB':2**20,'GiB':2**30}; n=next((k for k in sorted(u,key=len,reverse=True) if s.endswith(k)),None); print(int(float(s[:-len(n)])*u[n]) if n else int(s))" "$size")
head -c "$bytes" /dev/urandom > "$work/file.bin"
mkdir "$work/in"
"$bin/rudp-recv" --listen 127.0.0.1:0 --out "$work/in" --overwrite 2> "$work/recv.log" &
receiver=$!
for _ in $(seq 100); do grep -q "listening on" "$work/recv.log" && break; sleep 0.05; done
address=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$work/recv.log")
echo "machine: $(uname -srm), $(nproc) cores; file: $size ($bytes bytes); receiver: $address"
declare -A goodput
for protocol in tcp sr gbn sw; do
    line=$("$bin/rudp-send" "$work/file.bin" "$address" --protocol "$protocol" --json --name "$protocol.bin")
    goodput[$protocol]=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['goodput_mbps'])" "$line")
    cmp -s "$work/file.bin" "$work/in/$protocol.bin" || { echo "$protocol: received file differs" >&2; exit 1; }
    echo "$protocol: $line"
done
echo
printf '%-4s %12s %10s\n' protocol "Mbit/s" "÷ tcp"
for protocol in sw gbn sr tcp; do
    printf '%-8s %12.1f %10.3f\n' "$protocol" "${goodput[$protocol]}" \
        "$(python3 -c "print(${goodput[$protocol]} / ${goodput[tcp]})")"
done
