import RUDP

/// The application side of an `EndpointDriver` run: what its connections mean and when it is over.
///
/// The driver calls these from its one loop, so an application never writes a poll loop of its
/// own; every method but `afterInput` has a default that does nothing.
public protocol EndpointApplication {
    /// When `afterInput` is due without any input (a message to write, a time limit); nil: no need.
    var nextDeadline: UInt64? { get }

    /// Something the driver's `ReceiverEndpoint` reported. An `.offered` connection must be
    /// accepted or failed here: the endpoint sends nothing for it until it is.
    mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64)

    /// Bytes an inbound connection delivered, in its delivery order; valid only during the call.
    mutating func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection, driver: EndpointDriver,
                           now: UInt64)

    /// After each datagram of an inbound connection, once its bytes were handed over: the moment
    /// to look at its state (a FIN to confirm or refuse).
    mutating func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64)

    /// One of the descriptors the driver watches for the application is readable; throwing ends the run.
    mutating func descriptorReady(_ fileDescriptor: Int32, driver: EndpointDriver, now: UInt64) throws

    /// Once at the start and after each wake-up's input and timers, before the output is sent:
    /// the moment to write into senders and to decide whether the run is over.
    mutating func afterInput(driver: EndpointDriver, now: UInt64) throws -> EndpointDriver.Step
}

extension EndpointApplication {
    public var nextDeadline: UInt64? { nil }

    public mutating func handle(_ event: EndpointEvent, driver: EndpointDriver, now: UInt64) {}

    public mutating func received(_ payload: UnsafeRawBufferPointer, on connection: InboundConnection,
                                  driver: EndpointDriver, now: UInt64) {}

    public mutating func handled(_ connection: InboundConnection, driver: EndpointDriver, now: UInt64) {}

    public mutating func descriptorReady(_ fileDescriptor: Int32, driver: EndpointDriver, now: UInt64) throws {}
}
