import Foundation
import Testing

/// A relay out of file descriptors still takes new clients: the busiest host's least active
/// client gives its upstream socket up, instead of every new client being dropped until the
/// old ones time out (60 s).
@Suite struct RelayDescriptorTests {
    @Test func aNewClientGetsThroughARelayWhoseDescriptorsAreAllTaken() throws {
        let server = try HostilePeer()
        let proxy = try RunningProxy(to: "127.0.0.1:\(server.port)", arguments: ["--json"], fileDescriptorLimit: 40)
        defer { proxy.stop() }
        // Far more clients than descriptors, each with one datagram, all from 127.0.0.1.
        var crowd: [HostilePeer] = []
        for index in 0..<60 {
            let client = try HostilePeer()
            client.send(Array("crowd \(index)".utf8), to: proxy.port)
            crowd.append(client)
            usleep(2_000)
        }
        server.collect(for: 1)
        let late = try HostilePeer()
        late.send(Array("late client".utf8), to: proxy.port)
        server.collect(for: 2) { $0.replies.contains(Array("late client".utf8)) }
        #expect(server.replies.contains(Array("late client".utf8)), "the new client's datagram reached the server")
        let report = try #require(proxy.stopAndReadFinalReport())
        let evicted = try #require(report["clients_evicted"] as? Int)
        #expect(evicted >= 20, "clients gave up their sockets: \(evicted)")
        #expect(proxy.stderr.text().contains("out of file descriptors"), "the relay says why")
    }
}
