# Helpers shared by scripts/bench.sh, scripts/bench-link.sh, scripts/bench-proxy.sh and
# scripts/bench/callgrind.sh; source it, don't run it.
# Expects the caller to have `set -euo pipefail` and to be in the repository root.

# Builds the release products named as arguments and sets `bin` to their directory.
# SCRATCH_PATH=.build-x builds in another scratch directory (so a half-edited tree of someone
# else's build directory is left alone).
bench_build() {
    local build=(swift build -c release)
    [[ -n "${SCRATCH_PATH:-}" ]] && build+=(--scratch-path "$SCRATCH_PATH")
    local product log
    log=$(mktemp)
    for product in "$@"; do
        # A shared tree may change under the build ("modified during the build"): try again.
        local attempt
        for attempt in 1 2 3; do
            "${build[@]}" --product "$product" > "$log" 2>&1 && break
            if ((attempt == 3)) || ! grep -q "modified during the build" "$log"; then
                cat "$log" >&2
                rm -f "$log"
                return 1
            fi
            sleep 5
        done
    done
    rm -f "$log"
    bin=$("${build[@]}" --show-bin-path)
}

# bench_udpload PATH: compiles the datagram load generator and sink (scripts/bench/udpload.swift)
# to PATH.
bench_udpload() {
    swiftc -O scripts/bench/udpload.swift -o "$1" 2>/dev/null
}

# bench_bytes SIZE: the byte count of a size such as 64MB, 256MiB or 1000 (SI and binary units).
bench_bytes() {
    python3 -c "
import sys
text = sys.argv[1]
units = {'KB': 10**3, 'MB': 10**6, 'GB': 10**9, 'KiB': 2**10, 'MiB': 2**20, 'GiB': 2**30, 'B': 1}
unit = next((u for u in sorted(units, key=len, reverse=True) if text.endswith(u)), None)
print(int(float(text[:-len(unit)]) * units[unit]) if unit else int(text))" "$1"
}

# bench_wait_for PATTERN FILE [TRIES]: waits (50 ms steps, 10 s by default) until FILE holds
# PATTERN; fails if it never does.
bench_wait_for() {
    local tries=${3:-200}
    for _ in $(seq "$tries"); do
        grep -q "$1" "$2" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench: gave up waiting for '$1' in $2:" >&2
    cat "$2" >&2 || true
    return 1
}

# bench_listening_address FILE: the HOST:PORT of the first "listening on HOST:PORT" in FILE
# (how rudp-recv and lossproxy report the port the kernel chose).
bench_listening_address() {
    sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$1" | head -1
}

# bench_free_port: a port that was free on 127.0.0.1 for both TCP and UDP a moment ago, for
# the tools that cannot be told to pick one themselves (iperf3, atftpd).
bench_free_port() {
    python3 -c "
import socket
while True:
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(('127.0.0.1', 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(('127.0.0.1', port))
    except OSError:
        continue
    print(port)
    break"
}

# bench_json_field JSON KEY...: one field of a JSON object (nested keys in order); empty if absent.
bench_json_field() {
    python3 -c "
import json, sys
value = json.loads(sys.argv[1])
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
print('' if value is None else value)" "$@"
}
