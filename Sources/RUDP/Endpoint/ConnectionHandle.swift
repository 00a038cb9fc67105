/// Names one connection of an endpoint for as long as it lives: a small index, so that a driver
/// keeps its own per-connection state (a file, a report) in an array instead of a hash table.
/// An index is reused only after the endpoint reported the connection `.closed`.
public struct ConnectionHandle: Hashable, Sendable {
    public let index: Int

    init(_ index: Int) {
        self.index = index
    }
}
