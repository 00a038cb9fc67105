#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SystemKit

@Suite("SocketAddress parsing and identity")
struct SystemAddressTests {
    @Test("HOST:PORT with an IPv4 literal")
    func ipv4Literal() throws {
        let address = try SocketAddress.parse("127.0.0.1:9000", forListening: false)
        #expect(address.family == .ipv4)
        #expect(address.port == 9000)
        #expect(address.isLoopback)
        #expect(address.description == "127.0.0.1:9000")
        #expect(address.addressBytes == [127, 0, 0, 1])
    }

    @Test("[IPv6]:PORT, printed back in brackets")
    func ipv6Literal() throws {
        let address = try SocketAddress.parse("[::1]:9000", forListening: false)
        #expect(address.family == .ipv6)
        #expect(address.port == 9000)
        #expect(address.isLoopback)
        #expect(address.description == "[::1]:9000")
        #expect(address.host == "::1")

        let longer = try SocketAddress.parse("[2001:db8::42]:65535", forListening: false)
        #expect(longer.description == "[2001:db8::42]:65535")
        #expect(longer.port == 65535)
    }

    @Test(":PORT when listening is every interface, dual-stack where IPv6 exists")
    func bareportForListening() throws {
        let address = try SocketAddress.parse(":9000", forListening: true)
        #expect(address.isWildcard)
        #expect(address.port == 9000)
        if SocketAddress.isIPv6Available {
            #expect(address.family == .ipv6)
            #expect(address.description == "[::]:9000")
        } else {
            #expect(address.description == "0.0.0.0:9000")
        }
        #expect(try SocketAddress.parse(":0", forListening: true).port == 0)
    }

    @Test(":PORT and localhost:PORT as a destination are IPv4 loopback")
    func bareportAndLocalhostForSending() throws {
        #expect(try SocketAddress.parse(":9000", forListening: false).description == "127.0.0.1:9000")
        #expect(try SocketAddress.parse("localhost:80", forListening: false).description == "127.0.0.1:80")
        #expect(try SocketAddress.parse("LocalHost:80", forListening: true).description == "127.0.0.1:80")
    }

    @Test("an IPv4-mapped IPv6 address becomes the IPv4 address")
    func mappedAddressIsUnmapped() throws {
        let address = try SocketAddress.parse("[::ffff:10.1.2.3]:5000", forListening: false)
        #expect(address.family == .ipv4)
        #expect(address.description == "10.1.2.3:5000")
        #expect(address == SocketAddress(ipv4: (10, 1, 2, 3), port: 5000))
    }

    @Test("an IPv6 zone is kept as the scope and printed")
    func ipv6Zone() throws {
        let index = if_nametoindex("lo")
        try #require(index != 0, "no interface named lo")
        let address = try SocketAddress.parse("[fe80::1%lo]:9000", forListening: true)
        #expect(address.scopeID == index)
        #expect(address.description == "[fe80::1%lo]:9000")
        #expect(address != SocketAddress(ipv6: address.addressBytes, port: 9000, scopeID: 0))
    }

    @Test("a name is resolved through getaddrinfo")
    func resolvedName() throws {
        let addresses = try SocketAddress.resolve(host: "localhost", port: 7)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.isLoopback && $0.port == 7 })
    }

    @Test("port 0 only when listening")
    func zeroPort() throws {
        #expect(try SocketAddress.parse("127.0.0.1:0", forListening: true).port == 0)
        #expect(throws: AddressError.zeroDestinationPort(text: "127.0.0.1:0")) {
            try SocketAddress.parse("127.0.0.1:0", forListening: false)
        }
    }

    @Test("bad addresses are refused with one line naming the problem", arguments: [
        ("foo", "'foo' is not HOST:PORT, [IPv6]:PORT or :PORT"),
        ("1.2.3.4", "'1.2.3.4' is not HOST:PORT, [IPv6]:PORT or :PORT"),
        ("host:", "'host:' is not HOST:PORT, [IPv6]:PORT or :PORT (missing port)"),
        ("::1:9000", "'::1:9000' is not HOST:PORT, [IPv6]:PORT or :PORT (write IPv6 addresses in brackets, e.g. [::1]:9000)"),
        ("[::1]9000", "'[::1]9000' is not HOST:PORT, [IPv6]:PORT or :PORT"),
        ("[::1:9000", "'[::1:9000' is not HOST:PORT, [IPv6]:PORT or :PORT (missing ']')"),
        ("[]:9000", "'[]:9000' is not HOST:PORT, [IPv6]:PORT or :PORT"),
        ("[1.2.3.4]:80", "'[1.2.3.4]:80' is not HOST:PORT, [IPv6]:PORT or :PORT ('1.2.3.4' is not an IPv6 address)"),
        ("my host:80", "'my host:80' is not HOST:PORT, [IPv6]:PORT or :PORT"),
        ("x:abc", "port 'abc' in 'x:abc' is not a number"),
        ("x:-1", "port '-1' in 'x:-1' is not a number"),
        ("x:70000", "port 70000 out of range (0-65535)"),
        ("[::1]:99999999999999999999", "port 99999999999999999999 out of range (0-65535)"),
    ])
    func badAddresses(text: String, message: String) {
        do {
            let address = try SocketAddress.parse(text, forListening: true)
            Issue.record("'\(text)' parsed as \(address)")
        } catch {
            #expect(error.description == message)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("an unknown name fails naming the host")
    func unresolvableName() {
        do {
            let address = try SocketAddress.parse("nosuchhost.invalid:80", forListening: false)
            Issue.record("resolved to \(address)")
        } catch {
            guard case .cannotResolve(let host, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(host == "nosuchhost.invalid")
            #expect(!reason.isEmpty)
            #expect(error.description.hasPrefix("cannot resolve 'nosuchhost.invalid': "))
        }
    }

    @Test("equality and hashing follow family, address, port and scope")
    func identity() throws {
        let a = try SocketAddress.parse("127.0.0.1:9000", forListening: false)
        let b = SocketAddress.loopback(.ipv4, port: 9000)
        let c = SocketAddress.loopback(.ipv4, port: 9001)
        let d = SocketAddress.loopback(.ipv6, port: 9000)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(a != d)
        #expect(Set([a, b, c, d]).count == 3)
        #expect(a.withPort(9001) == c)
        #expect(d.withPort(1).description == "[::1]:1")
    }

    @Test("a sockaddr_storage round trip gives the same address")
    func storageRoundTrip() throws {
        for text in ["192.0.2.7:443", "[2001:db8::1]:8080", "[fe80::2%1]:53"] {
            let original = try SocketAddress.parse(text, forListening: true)
            var storage = sockaddr_storage()
            let length = original.withSockAddr { pointer, length in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length))) }
                return length
            }
            let decoded = SocketAddress(storage: storage, length: length)
            #expect(decoded == original)
            #expect(decoded?.description == original.description)
        }
        var unknown = sockaddr_storage()
        unknown.ss_family = sa_family_t(AF_UNIX)
        #expect(SocketAddress(storage: unknown, length: socklen_t(MemoryLayout<sockaddr_storage>.size)) == nil)
    }

    @Test("an IPv6 socket is handed an IPv4 destination in mapped form")
    func mappingForIPv6Sockets() {
        let v4 = SocketAddress(ipv4: (192, 0, 2, 9), port: 1234)
        let (family, bytes, port): (Int32, [UInt8], UInt16) = v4.withSockAddr(for: .ipv6) { pointer, length in
            #expect(Int(length) == MemoryLayout<sockaddr_in6>.size)
            let v6 = UnsafeRawPointer(pointer).loadUnaligned(as: sockaddr_in6.self)
            return (Int32(v6.sin6_family), withUnsafeBytes(of: v6.sin6_addr) { Array($0) }, UInt16(bigEndian: v6.sin6_port))
        }
        #expect(family == AF_INET6)
        #expect(bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9])
        #expect(port == 1234)
        v4.withSockAddr(for: .ipv4) { _, length in #expect(Int(length) == MemoryLayout<sockaddr_in>.size) }
    }
}
