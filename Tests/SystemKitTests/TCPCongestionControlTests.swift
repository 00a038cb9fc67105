#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

/// The kernel's TCP congestion control, chosen per connection and read back from it.
@Suite(.enabled(if: TCPCongestionControl.systemDefault != nil, "needs Linux's /proc/sys/net/ipv4/tcp_congestion_control"))
struct TCPCongestionControlTests {
    /// A connected pair on loopback: the client end and the accepted end.
    func connectedPair() throws -> (TCPStream, TCPStream, TCPListener) {
        let listener = try TCPListener(bindingTo: .loopback(.ipv4, port: 0))
        let client = try TCPStream.connect(to: listener.localAddress, timeout: .seconds(2), blocking: true)
        var accepted: TCPStream?
        for _ in 0..<200 where accepted == nil {
            accepted = try listener.accept(blocking: true)
            if accepted == nil { usleep(5_000) }
        }
        return (client, try #require(accepted), listener)
    }

    @Test func aNewConnectionUsesTheSystemDefaultAndTakesAnotherAvailableOne() throws {
        let (client, server, listener) = try connectedPair()
        defer { client.close(); server.close(); listener.close() }
        #expect(client.congestionControl == TCPCongestionControl.systemDefault)
        let available = TCPCongestionControl.available
        #expect(available.contains(TCPCongestionControl.systemDefault!))
        for name in available {
            try client.setCongestionControl(name)
            #expect(client.congestionControl == name)
        }
    }

    @Test func anAlgorithmTheKernelLacksIsRefusedWithoutAConnection() {
        #expect(throws: SystemError.self) { try TCPCongestionControl.check("no-such-cc", family: .ipv4) }
        #expect(throws: SystemError.self) { try TCPCongestionControl.check(String(repeating: "x", count: 40), family: .ipv4) }
        if let first = TCPCongestionControl.available.first {
            #expect(throws: Never.self) { try TCPCongestionControl.check(first, family: .ipv4) }
        }
    }
}
