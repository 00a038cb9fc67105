// The load generator and sink of scripts/bench-link.sh and scripts/bench-proxy.sh: sendmmsg and
// recvmmsg, so that its own cost per datagram stays far below the link's or the relay's.
// udpload sink HOST:PORT WAIT [SECONDS]: bind HOST:PORT (port 0: the kernel chooses), print
//   "port N", wait up to WAIT seconds for a first datagram, then count datagrams for SECONDS
//   from it, or without SECONDS until none comes for 0.5 s; print "received N rate R"
//   (datagrams/s between the first and the last).
// udpload blast HOST:PORT SIZE SECONDS [RATE]: send SIZE-byte datagrams to HOST:PORT as fast as
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
    let parts = text.split(separator: ":")
    precondition(parts.count == 2, "expected HOST:PORT, got \(text)")
    var address = sockaddr_in(); address.sin_family = sa_family_t(AF_INET); address.sin_port = UInt16(parts[1])!.bigEndian
    address.sin_addr.s_addr = inet_addr(String(parts[0])); return address
}
func withSockAddr<R>(_ address: inout sockaddr_in, _ body: (UnsafeMutablePointer<sockaddr>) -> R) -> R {
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}
func setReceiveTimeout(_ fd: Int32, seconds: Int, microseconds: Int) {
    var timeout = timeval(tv_sec: seconds, tv_usec: microseconds)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
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
    let seconds = arguments.count > 4 ? Double(arguments[4])! : nil
    precondition(withSockAddr(&local) { bind(fd, $0, 16) } == 0, "bind failed")
    var length = socklen_t(16)
    _ = withSockAddr(&local) { getsockname(fd, $0, &length) }
    print("port \(UInt16(bigEndian: local.sin_port))"); fflush(stdout)
    setReceiveTimeout(fd, seconds: Int(arguments[3])!, microseconds: 0)
    var count = 0, first = 0.0, last = 0.0
    while true {
        let received = receiveMany(fd, messages, UInt32(batch), 0, nil)
        let time = now()
        if received <= 0 { break }
        if first == 0 {
            first = time
            if seconds == nil { setReceiveTimeout(fd, seconds: 0, microseconds: 500_000) }
        }
        if let seconds, time - first > seconds { break }
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
