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
seconds=${1:-3}
size=${2:-200MB}
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
build=(swift build -c release)
[[ -n "${SCRATCH_PATH:-}" ]] && build+=(--scratch-path "$SCRATCH_PATH")
for product in lossproxy rudp-send rudp-recv; do
    "${build[@]}" --product "$product" > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
done
bin=$("${build[@]}" --show-bin-path)

# The load generator and sink: a small Swift program using sendmmsg/recvmmsg, so that its own
# cost per datagram stays far below the relay's.
cat > "$work/udpload.swift" <<'SWIFT'
// udpload sink SECONDS: bind 127.0.0.1:0, print "port N", count datagrams for SECONDS from
//   the first one, print "received N rate R" (datagrams/s).
// udpload blast PORT SIZE SECONDS [RATE]: send SIZE-byte datagrams to 127.0.0.1:PORT as fast
//   as possible, or paced at RATE datagrams/s; print "sent N rate R".
import Glibc
typealias ReceiveMany = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32
typealias SendMany = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32
let libc = dlopen(nil, RTLD_NOW)
let receiveMany = unsafeBitCast(dlsym(libc, "recvmmsg")!, to: ReceiveMany.self)
let sendMany = unsafeBitCast(dlsym(libc, "sendmmsg")!, to: SendMany.self)
struct Message { var header = msghdr(); var length: UInt32 = 0 }
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in(); address.sin_family = sa_family_t(AF_INET); address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1"); return address
}
func withSockAddr<R>(_ address: inout sockaddr_in, _ body: (UnsafeMutablePointer<sockaddr>) -> R) -> R {
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}
let arguments = CommandLine.arguments
let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
var bufferSize: Int32 = 8 << 20
setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, 4)
setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, 4)
let batch = 64
let buffers = UnsafeMutableRawPointer.allocate(byteCount: batch * 2048, alignment: 64)
let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: batch)
let messages = UnsafeMutablePointer<Message>.allocate(capacity: batch)
for index in 0..<batch {
    vectors[index] = iovec(iov_base: buffers + index * 2048, iov_len: 2048)
    messages[index] = Message()
    messages[index].header.msg_iov = vectors + index
    messages[index].header.msg_iovlen = 1
}
if arguments[1] == "sink" {
    let seconds = Double(arguments[2])!
    var local = loopback(0)
    _ = withSockAddr(&local) { bind(fd, $0, 16) }
    var length = socklen_t(16)
    _ = withSockAddr(&local) { getsockname(fd, $0, &length) }
    print("port \(UInt16(bigEndian: local.sin_port))"); fflush(stdout)
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var count = 0, first = 0.0, last = 0.0
    while true {
        let received = receiveMany(fd, messages, UInt32(batch), 0, nil)
        let time = now()
        if received <= 0 { break }
        if first == 0 { first = time }
        if time - first > seconds { break }
        count += Int(received); last = time
    }
    print("received \(count) rate \(Int(Double(count) / max(last - first, 1e-9)))")
} else {
    let port = UInt16(arguments[2])!, size = Int(arguments[3])!, seconds = Double(arguments[4])!
    let rate = arguments.count > 5 ? Double(arguments[5])! : 0
    var destination = loopback(port)
    precondition(withSockAddr(&destination) { connect(fd, $0, 16) } == 0)
    for index in 0..<batch { vectors[index].iov_len = size }
    let burst = rate > 0 ? 16 : batch
    var sent = 0
    let start = now()
    while true {
        let elapsed = now() - start
        if elapsed >= seconds { break }
        if rate > 0, Double(sent) > elapsed * rate {
            usleep(UInt32(max((Double(sent) / rate - elapsed) * 1e6, 1)))
            continue
        }
        let count = sendMany(fd, messages, UInt32(burst), 0)
        if count > 0 { sent += Int(count) }
    }
    print("sent \(sent) rate \(Int(Double(sent) / (now() - start)))")
}
SWIFT
swiftc -O "$work/udpload.swift" -o "$work/udpload" 2>/dev/null

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
    "$work/udpload" sink "$seconds" > "$work/sink.out" &
    local sink=$!
    for _ in $(seq 200); do grep -q port "$work/sink.out" && break; sleep 0.02; done
    local port
    port=$(field port "$work/sink.out")
    local target=$port
    if [[ $mode == relay ]]; then start_proxy "$port"; target=$proxy_port; fi
    "$work/udpload" blast "$target" 1200 "$seconds" $rate > "$work/blast.out"
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
