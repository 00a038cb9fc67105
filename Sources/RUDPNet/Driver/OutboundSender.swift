import RUDP
import SystemKit

/// One of an `EndpointDriver`'s senders with where its datagrams go, in both address forms:
/// the socket's, to send without converting, and the core's, to match arriving datagrams.
struct OutboundSender {
    let sender: Sender
    /// nil on a connected socket, which sends only to its peer.
    let destination: SocketAddress?
    let peer: PeerAddress?

    /// Whether an arriving datagram with `connectionID` from `source` is this sender's. The
    /// address must match too (where the socket is not connected, the kernel does not filter):
    /// a stranger then has to spoof the peer, not just guess a 32-bit ID.
    func owns(connectionID: UInt32, from source: PeerAddress) -> Bool {
        sender.configuration.connectionID == connectionID && (peer == nil || peer == source)
    }
}
