// Payloads of the control packets. They are rare, so they decode into ordinary values.

/// Reads fields sequentially from a payload, failing instead of reading past its end.
struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else { throw .malformedPayload("\(field) truncated") }
        defer { offset += size }
        return bytes.readBigEndian(offset, as: T.self)
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        guard count >= 0 && bytes.count - offset >= count else { throw .malformedPayload("\(field) truncated") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    var remaining: Int { bytes.count - offset }

    func expectEnd(_ what: String) throws(WireError) {
        guard offset == bytes.count else { throw .malformedPayload("\(bytes.count - offset) trailing bytes after \(what)") }
    }
}

/// Appends big-endian fields to a byte array.
struct PayloadWriter {
    var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ data: [UInt8]) { bytes.append(contentsOf: data) }
}

/// SYN payload: what the sender proposes and what it is about to send.
public struct SynPayload: Equatable, Sendable {
    public static let unknownSize = UInt64.max
    public static let maxNameLength = 4096

    public var mode: TransferMode
    /// Whether the receiver hands packets over as they arrive or strictly in order.
    public var delivery: DeliveryOrder = .ordered
    public var mss: Int
    public var window: UInt32
    /// File size in bytes, or nil when unknown in advance (standard input).
    public var fileSize: UInt64?
    /// The file name exactly as the sender gave it; the receiver decides whether it is safe.
    public var name: [UInt8]
    /// How long the sender keeps retransmitting (after the name, flagged); nil from a sender that
    /// does not say, which the receiver takes for `RetryBudget.unannounced`.
    public var retryBudget: RetryBudget?
    /// The sender may send DATA carrying copies of earlier packets (`PacketFlags.redundant`);
    /// a receiver that does not know the flag refuses the SYN instead of misreading them.
    public var sendsRedundantData = false
    /// The sender answers PATH-CHALLENGEs (SYN flag bit 5): the receiver may move the
    /// connection to a new address the sender proves (docs/PROTOCOL.md §3, *Path validation*).
    /// A receiver never migrates a sender that does not say so.
    public var answersPathChallenges = false
    /// The address-validation token the sender presents (flag bit 4): nil when it takes no
    /// tokens, empty when it has none yet and asks for one, else one an earlier SYN-ACK gave it.
    /// The receiver reads it; to the sender it is opaque.
    public var addressToken: [UInt8]?
    /// The first DATA packet (ISN + 1), carried in the SYN (flag bit 3, 0-RTT): the receiver may
    /// hand it to its application at once and answer in its SYN-ACK. Anyone who recorded the SYN
    /// can send it again, so it is *replayable*: act on it only where doing so twice is harmless.
    public var earlyData: [UInt8]?

    public init(mode: TransferMode, mss: Int, window: UInt32, fileSize: UInt64?, name: [UInt8]) {
        self.mode = mode
        self.mss = mss
        self.window = window
        self.fileSize = fileSize
        self.name = name
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        var reader = PayloadReader(bytes)
        let rawMode = try reader.read(UInt8.self, "mode")
        guard let mode = TransferMode(rawValue: rawMode) else { throw .malformedPayload("unknown mode \(rawMode)") }
        let flags = try reader.read(UInt8.self, "flags")
        guard flags & ~Self.knownFlags == 0 else {
            throw .malformedPayload("unknown SYN flags \(flags)")
        }
        let mss = Int(try reader.read(UInt16.self, "mss"))
        guard mss > 0 else { throw .malformedPayload("MSS 0") }
        let window = try reader.read(UInt32.self, "window")
        guard window > 0 else { throw .malformedPayload("window 0") }
        let size = try reader.read(UInt64.self, "file size")
        let nameLength = Int(try reader.read(UInt16.self, "name length"))
        guard nameLength <= Self.maxNameLength else { throw .malformedPayload("name of \(nameLength) bytes") }
        let name = try reader.readBytes(nameLength, "name")
        var budget: RetryBudget?
        if flags & Self.retryBudgetFlag != 0 {
            let retries = try reader.read(UInt16.self, "retries")
            let largestTimeout = try reader.read(UInt32.self, "largest timeout")
            guard largestTimeout > 0 else { throw .malformedPayload("largest timeout 0") }
            budget = RetryBudget(retries: Int(retries), largestTimeout: UInt64(largestTimeout) * 1_000)
        }
        var token: [UInt8]?
        if flags & Self.addressTokenFlag != 0 {
            let length = Int(try reader.read(UInt8.self, "token length"))
            guard length <= Self.maxTokenLength else { throw .malformedPayload("token of \(length) bytes") }
            token = try reader.readBytes(length, "token")
        }
        var early: [UInt8]?
        if flags & Self.earlyDataFlag != 0 {
            let length = Int(try reader.read(UInt16.self, "early data length"))
            guard length >= 1 && length <= min(mss, Self.maxEarlyDataLength) else {
                throw .malformedPayload("early data of \(length) bytes (1 to the MSS, at most \(Self.maxEarlyDataLength))")
            }
            early = try reader.readBytes(length, "early data")
        }
        try reader.expectEnd("SYN")
        self.init(mode: mode, mss: mss, window: window, fileSize: size == Self.unknownSize ? nil : size, name: name)
        delivery = flags & Self.unorderedFlag != 0 ? .unordered : .ordered
        retryBudget = budget
        sendsRedundantData = flags & Self.redundantDataFlag != 0
        answersPathChallenges = flags & Self.pathChallengesFlag != 0
        addressToken = token
        earlyData = early
    }

    /// SYN flags bit 0: unordered delivery.
    static let unorderedFlag: UInt8 = 0x01
    /// SYN flags bit 1: the retry budget follows the name.
    static let retryBudgetFlag: UInt8 = 0x02
    /// SYN flags bit 2: DATA may carry redundant copies.
    static let redundantDataFlag: UInt8 = 0x04
    /// SYN flags bit 5: the sender answers path challenges (bits 3 and 4 belong to 0-RTT).
    static let pathChallengesFlag: UInt8 = 0x20
    /// SYN flags bit 3: early data (the first DATA packet) follows the token.
    static let earlyDataFlag: UInt8 = 0x08
    /// SYN flags bit 4: an address-validation token (possibly empty: "give me one") follows the retry budget.
    static let addressTokenFlag: UInt8 = 0x10
    static let knownFlags = unorderedFlag | retryBudgetFlag | redundantDataFlag | earlyDataFlag | addressTokenFlag
        | pathChallengesFlag

    /// Longest token a SYN carries (the receiver's own are `AddressTokens.tokenLength`).
    public static let maxTokenLength = 64
    /// Most early data a SYN carries (and never more than its MSS): what a half-open connection
    /// holds, as the name, so bounded.
    public static let maxEarlyDataLength = 4096

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        writer.write(mode.rawValue)
        writer.write((delivery == .unordered ? Self.unorderedFlag : 0) | (retryBudget == nil ? 0 : Self.retryBudgetFlag)
                     | (sendsRedundantData ? Self.redundantDataFlag : 0) | (answersPathChallenges ? Self.pathChallengesFlag : 0)
                     | (addressToken == nil ? 0 : Self.addressTokenFlag)
                     | (earlyData == nil ? 0 : Self.earlyDataFlag))
        writer.write(UInt16(clamping: mss))
        writer.write(window)
        writer.write(fileSize ?? Self.unknownSize)
        // The length field must count the bytes actually written: a name over the limit is cut
        // to it (the receiver then refuses it as too long) rather than announced in full.
        let carried = name.prefix(Self.maxNameLength)
        writer.write(UInt16(carried.count))
        writer.write(Array(carried))
        if let retryBudget {
            writer.write(UInt16(clamping: retryBudget.retries))
            // Rounded up, never to 0: the receiver must not think the sender less patient than it is.
            writer.write(UInt32(clamping: max(1, (retryBudget.largestTimeout + 999) / 1_000)))
        }
        if let addressToken {
            let carried = addressToken.prefix(Self.maxTokenLength)
            writer.write(UInt8(carried.count))
            writer.write(Array(carried))
        }
        if let earlyData {
            let carried = earlyData.prefix(Self.maxEarlyDataLength)
            writer.write(UInt16(carried.count))
            writer.write(Array(carried))
        }
        return writer.bytes
    }
}

/// How a receiver hands data to its application.
public enum DeliveryOrder: Sendable, Equatable {
    /// A byte stream, in order (a file): a lost packet holds back everything after it.
    case ordered
    /// Each packet (message) as soon as it arrives, in any order; still reliable, no duplicates.
    case unordered
}

/// SYN-ACK payload: the MSS and window the receiver accepted (never more than proposed), and
/// what it answers to a SYN's 0-RTT fields: whether it took the early data, a response, an
/// address-validation token for the sender's next connection.
public struct SynAckPayload: Equatable, Sendable {
    public var mss: Int
    public var window: UInt32
    /// The receiver took the SYN's early data as DATA packet ISN + 1: the sender does not send it again.
    public var tookEarlyData = false
    /// The receiving application's answer to the early data, if it fits what the receiver may
    /// send the sender's address yet; otherwise see `responseFollows`.
    public var response: [UInt8]?
    /// The answer was too large for an address not yet validated: it comes in the FIN-ACK.
    public var responseFollows = false
    /// A token the sender presents in its next SYN to this receiver (from the same host) to
    /// skip the anti-amplification limit.
    public var addressToken: [UInt8]?

    public init(mss: Int, window: UInt32) {
        self.mss = mss
        self.window = window
    }

    /// SYN-ACK flags (the 16 bits that were reserved; an earlier receiver sends 0).
    static let tookEarlyDataFlag: UInt16 = 0x0001
    static let addressTokenFlag: UInt16 = 0x0002
    static let responseFlag: UInt16 = 0x0004
    static let responseFollowsFlag: UInt16 = 0x0008
    static let knownFlags = tookEarlyDataFlag | addressTokenFlag | responseFlag | responseFollowsFlag

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        var reader = PayloadReader(bytes)
        let mss = Int(try reader.read(UInt16.self, "mss"))
        let flags = try reader.read(UInt16.self, "flags")
        let window = try reader.read(UInt32.self, "window")
        guard mss > 0, window > 0 else { throw .malformedPayload("zero MSS or window in SYN-ACK") }
        guard flags & ~Self.knownFlags == 0 else { throw .malformedPayload("unknown SYN-ACK flags \(flags)") }
        guard flags & Self.responseFlag == 0 || flags & Self.responseFollowsFlag == 0 else {
            throw .malformedPayload("a SYN-ACK with a response and one to follow")
        }
        self.init(mss: mss, window: window)
        tookEarlyData = flags & Self.tookEarlyDataFlag != 0
        responseFollows = flags & Self.responseFollowsFlag != 0
        if flags & Self.addressTokenFlag != 0 {
            let length = Int(try reader.read(UInt8.self, "token length"))
            guard length >= 1 && length <= SynPayload.maxTokenLength else { throw .malformedPayload("token of \(length) bytes") }
            addressToken = try reader.readBytes(length, "token")
        }
        if flags & Self.responseFlag != 0 {
            let length = Int(try reader.read(UInt16.self, "response length"))
            guard length >= 1 else { throw .malformedPayload("empty response") }
            response = try reader.readBytes(length, "response")
        }
        try reader.expectEnd("SYN-ACK")
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        writer.write(UInt16(clamping: mss))
        var flags: UInt16 = tookEarlyData ? Self.tookEarlyDataFlag : 0
        if responseFollows { flags |= Self.responseFollowsFlag } else if response != nil { flags |= Self.responseFlag }
        if addressToken != nil { flags |= Self.addressTokenFlag }
        writer.write(flags)
        writer.write(window)
        if let addressToken {
            let carried = addressToken.prefix(SynPayload.maxTokenLength)
            writer.write(UInt8(carried.count))
            writer.write(Array(carried))
        }
        if let response, !responseFollows {
            let carried = response.prefix(Int(UInt16.max))
            writer.write(UInt16(carried.count))
            writer.write(Array(carried))
        }
        return writer.bytes
    }
}

/// FIN payload: the total size and SHA-256 the receiver must match before confirming.
public struct FinPayload: Equatable, Sendable {
    public var fileSize: UInt64
    public var sha256: SHA256Digest
    /// The sender's current retransmission timeout in microseconds: the receiver lingers long
    /// enough after a FIN to answer the next retransmitted one.
    public var retransmitTimeoutMicros: UInt32

    public init(fileSize: UInt64, sha256: SHA256Digest, retransmitTimeoutMicros: UInt32) {
        self.fileSize = fileSize
        self.sha256 = sha256
        self.retransmitTimeoutMicros = retransmitTimeoutMicros
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        var reader = PayloadReader(bytes)
        let size = try reader.read(UInt64.self, "file size")
        let digestBytes = try reader.readBytes(32, "SHA-256")
        let hint = try reader.read(UInt32.self, "retransmit timeout")
        try reader.expectEnd("FIN")
        guard let digest = SHA256Digest(bytes: digestBytes) else { throw .malformedPayload("SHA-256") }
        self.init(fileSize: size, sha256: digest, retransmitTimeoutMicros: hint)
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        writer.write(fileSize)
        writer.write(sha256.bytes)
        writer.write(retransmitTimeoutMicros)
        return writer.bytes
    }
}

/// Why a side reset a connection (carried in RST).
public enum ResetCode: UInt16, Sendable, CaseIterable {
    case unsafeName = 1
    case fileExists = 2
    case integrityFailure = 3
    case receiverIOError = 4
    case idleTimeout = 5
    case cancelled = 6
    case unknownConnection = 7
    case protocolViolation = 8
    case busy = 9
    case senderIOError = 10
    case other = 0xFFFF
}

/// RST payload: a reason code and one human-readable line.
public struct ResetPayload: Equatable, Sendable {
    public static let maxMessageLength = 512

    public var code: ResetCode
    public var message: String

    public init(code: ResetCode, message: String) {
        self.code = code
        self.message = message
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(WireError) {
        var reader = PayloadReader(bytes)
        let rawCode = try reader.read(UInt16.self, "reset code")
        let text = try reader.readBytes(min(reader.remaining, Self.maxMessageLength), "message")
        try reader.expectEnd("RST")
        self.init(code: ResetCode(rawValue: rawCode) ?? .other,
                  message: String(decoding: text, as: UTF8.self))
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter()
        writer.write(code.rawValue)
        var text = message
        while text.utf8.count > Self.maxMessageLength { text.removeLast() }  // whole characters only
        writer.write(Array(text.utf8))
        return writer.bytes
    }
}
