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
build=(swift build -c release)
[[ -n "${SCRATCH_PATH:-}" ]] && build+=(--scratch-path "$SCRATCH_PATH")
for product in lossproxy rudp-send rudp-recv; do
    "${build[@]}" --product "$product" > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
done
bin=$("${build[@]}" --show-bin-path)

# The load generator and sink: a small Swift program using sendmmsg/recvmmsg, so that its own
# cost per datagram stays far below the link's.
cat > "$work/udpload.swift" <<'SWIFT'
// udpload sink ADDRESS: bind ADDRESS:5001, print "ready", count datagrams from the first one
//   until none comes for 0.5 s, print "received N rate R" (datagrams/s between first and last).
// udpload blast ADDRESS SIZE SECONDS [RATE]: send SIZE-byte datagrams to ADDRESS:5001 as fast as
//   possible, or paced at RATE datagrams/s; print "sent N rate R".
import Glibc
typealias ReceiveMany = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32
typealias SendMany = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32
let libc = dlopen(nil, RTLD_NOW)
let receiveMany = unsafeBitCast(dlsym(libc, "recvmmsg")!, to: ReceiveMany.self)
let sendMany = unsafeBitCast(dlsym(libc, "sendmmsg")!, to: SendMany.self)
struct Message { var header = msghdr(); var length: UInt32 = 0 }
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
func address(_ text: String) -> sockaddr_in {
    var address = sockaddr_in(); address.sin_family = sa_family_t(AF_INET); address.sin_port = UInt16(5001).bigEndian
    address.sin_addr.s_addr = inet_addr(text); return address
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
    var local = address(arguments[2])
    precondition(withSockAddr(&local) { bind(fd, $0, 16) } == 0, "bind failed")
    print("ready"); fflush(stdout)
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var count = 0, first = 0.0, last = 0.0
    while true {
        let received = receiveMany(fd, messages, UInt32(batch), 0, nil)
        let time = now()
        if received <= 0 { break }
        if first == 0 {
            first = time
            timeout = timeval(tv_sec: 0, tv_usec: 500_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        count += Int(received); last = time
    }
    print("received \(count) rate \(Int(Double(count) / max(last - first, 1e-9)))")
} else {
    let size = Int(arguments[3])!, seconds = Double(arguments[4])!
    let rate = arguments.count > 5 ? Double(arguments[5])! : 0
    var destination = address(arguments[2])
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
    in_b "$work/udpload" sink "$1" > "$work/sink.out" &
    local sink=$!
    for _ in $(seq 200); do grep -q ready "$work/sink.out" 2>/dev/null && break; sleep 0.02; done
    if [[ $2 == a ]]; then
        in_a "$work/udpload" blast "$1" "$3" "$seconds" ${4:-} > "$work/blast.out"
    else
        in_b "$work/udpload" blast "$1" "$3" "$seconds" ${4:-} > "$work/blast.out"
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
