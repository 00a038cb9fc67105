/// What a `ReceiverEndpoint` tells its driver about a connection's life, in order, through `pollEvent`.
public enum EndpointEvent {
    /// A SYN opened a connection: the driver looks at `receiver.offer` and calls `accept` or
    /// `fail` (refusing it) before the endpoint's next `pollTransmit`.
    case offered(InboundConnection)
    /// The peer proved its address and the connection was admitted: data flows from now on
    /// (the moment to create the file).
    case validated(InboundConnection)
    /// The connection is forgotten (it ended and lingered, expired half-open, or gave way to a
    /// newer handshake); its handle may be reused after this event.
    case closed(InboundConnection)
}

/// What `ReceiverEndpoint.handle` found in one datagram.
public struct DatagramOutcome {
    /// The connection the datagram belonged to, if any.
    public var connection: ConnectionHandle?
    /// The payload of an in-order DATA packet handed straight to the driver (see
    /// `ReceiverEndpointConfiguration.deliversInOrderDirectly`): valid only until the endpoint's
    /// next call, already counted as delivered, so it must be consumed (or the connection failed).
    public var inOrderPayload: UnsafeRawBufferPointer?

    static var none: DatagramOutcome { DatagramOutcome(connection: nil, inOrderPayload: nil) }
}

/// One datagram `ReceiverEndpoint.pollTransmit` wrote: its length and where it goes.
public struct EndpointTransmit {
    public var length: Int
    public var destination: PeerAddress
}
