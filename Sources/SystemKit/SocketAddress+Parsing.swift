#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SocketAddress {
    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT`, the address syntax of every program.
    ///
    /// `:PORT` means all interfaces when listening (`[::]`, dual-stack, or `0.0.0.0` on a host
    /// without IPv6) and this machine when sending (`127.0.0.1`, which a dual-stack listener
    /// also receives). `localhost` is `127.0.0.1` for the same reason, whatever the resolver
    /// would prefer. Other names go through `getaddrinfo` and the first answer wins.
    /// Port 0 (kernel's choice) is accepted only when listening.
    public static func parse(_ text: String, forListening: Bool) throws(AddressError) -> SocketAddress {
        let (host, portText, bracketed) = try split(text)
        let port = try parsePort(portText, in: text)
        if port == 0 && !forListening { throw .zeroDestinationPort(text: text) }
        if bracketed {
            guard let address = numericIPv6(host, port: port) else {
                throw .malformed(text: text, hint: "'\(host)' is not an IPv6 address")
            }
            return address
        }
        if host.isEmpty {
            if forListening { return wildcard(isIPv6Available ? .ipv6 : .ipv4, port: port) }
            return loopback(.ipv4, port: port)
        }
        if host.lowercased() == "localhost" { return loopback(.ipv4, port: port) }
        if let address = numericIPv4(host, port: port) { return address }
        guard let first = try resolve(host: String(host), port: port).first else {
            throw .cannotResolve(host: String(host), reason: "no IPv4 or IPv6 address")
        }
        return first
    }

    /// Every IPv4/IPv6 address `getaddrinfo` gives for `host`, in its preferred order.
    public static func resolve(host: String, port: UInt16) throws(AddressError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = SocketConstants.datagram
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM
                ? SystemError.message(for: errno)
                : String(cString: gai_strerror(status))
            throw .cannotResolve(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let sockaddrPointer = current.pointee.ai_addr,
               let address = SocketAddress(rawSockAddr: sockaddrPointer, length: current.pointee.ai_addrlen) {
                let withPort = address.withPort(port)
                if !addresses.contains(withPort) { addresses.append(withPort) }
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    /// Whether this host can bind an IPv6 socket, decided once per process by trying it.
    public static let isIPv6Available: Bool = {
        guard let fd = try? Posix.socket(domain: AF_INET6, type: SocketConstants.datagram) else { return false }
        defer { try? Posix.close(fd) }
        try? Posix.setOption(fd, level: SocketConstants.ipv6Level, name: IPV6_V6ONLY, 0)
        let bound: Bool = wildcard(.ipv6, port: 0).withSockAddr { pointer, length in
            (try? Posix.bind(fd, pointer, length)) != nil
        }
        return bound
    }()

    // MARK: - Pieces

    /// Splits into host, port text and whether the host was bracketed, checking only the shape.
    private static func split(_ text: String) throws(AddressError) -> (host: Substring, port: Substring, bracketed: Bool) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .malformed(text: text, hint: "missing ']'") }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), !host.isEmpty else { throw .malformed(text: text, hint: nil) }
            return (host, rest.dropFirst(), true)
        }
        guard let colon = text.lastIndex(of: ":") else { throw .malformed(text: text, hint: nil) }
        let host = text[..<colon]
        if host.contains(":") {
            throw .malformed(text: text, hint: "write IPv6 addresses in brackets, e.g. [::1]:9000")
        }
        if host.contains("[") || host.contains("]") || host.contains(where: \.isWhitespace) {
            throw .malformed(text: text, hint: nil)
        }
        return (host, text[text.index(after: colon)...], false)
    }

    private static func parsePort(_ port: Substring, in text: String) throws(AddressError) -> UInt16 {
        guard !port.isEmpty else { throw .malformed(text: text, hint: "missing port") }
        guard port.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .portNotANumber(text: text, port: String(port))
        }
        guard port.count <= 5, let value = Int(port), value <= Int(UInt16.max) else {
            throw .portOutOfRange(port: String(port))
        }
        return UInt16(value)
    }

    /// A dotted-quad IPv4 literal, strictly (no `127.1` shorthand).
    private static func numericIPv4(_ host: Substring, port: UInt16) -> SocketAddress? {
        var address = sockaddr_in()
        guard inet_pton(AF_INET, String(host), &address.sin_addr) == 1 else { return nil }
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        return SocketAddress(address)
    }

    /// An IPv6 literal, with an optional `%zone` (interface name or index), without any lookup.
    private static func numericIPv6(_ host: Substring, port: UInt16) -> SocketAddress? {
        var hints = addrinfo()
        hints.ai_family = AF_INET6
        hints.ai_socktype = SocketConstants.datagram
        hints.ai_flags = AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(String(host), nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        guard let pointer = first.pointee.ai_addr else { return nil }
        return SocketAddress(rawSockAddr: pointer, length: first.pointee.ai_addrlen)?.withPort(port)
    }
}
