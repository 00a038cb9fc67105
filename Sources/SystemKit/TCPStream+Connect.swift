#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a bounded `TCPStream.connect` gave no stream, by the step that failed.
public enum TCPConnectError: Error, Sendable, Equatable {
    /// No socket could be opened.
    case socket(SystemError)
    /// The connection failed: refused, unreachable, or not up by the deadline (ETIMEDOUT).
    case connect(SystemError)
    /// Waiting for the handshake failed.
    case poll(SystemError)
    /// The connected socket could not be set up (its mode or local address).
    case setup(SystemError)
    /// The caller's interrupt check asked to stop.
    case interrupted

    /// The failed call underneath; nil for an interruption.
    public var systemError: SystemError? {
        switch self {
        case .socket(let error), .connect(let error), .poll(let error), .setup(let error): error
        case .interrupted: nil
        }
    }
}

extension TCPStream {
    /// Connects to `peer` without waiting past `deadline` (monotonic ns): a connection not up by
    /// then fails with `.connect(ETIMEDOUT)`. While it waits, `interruptFileDescriptor` (a signal
    /// self-pipe) is polled beside the socket; when it is readable `isInterrupted` is asked, and
    /// true stops the connect at once, false stops watching it (it would stay readable and spin).
    /// With `fastOpen` (`TCPFastOpen`), a connection to a server whose cookie is cached returns
    /// at once and its first write rides in the SYN.
    public static func connect(
        to peer: SocketAddress, deadline: UInt64, interruptFileDescriptor: Int32? = nil,
        isInterrupted: () -> Bool = { false }, blocking: Bool, fastOpen: Bool = false
    ) throws(TCPConnectError) -> TCPStream {
        let fd: Int32
        do { fd = try SocketSetup.open(peer.family, type: SocketConstants.stream) } catch { throw .socket(error) }
        do throws(TCPConnectError) {
            if fastOpen {
                do { try TCPFastOpen.enableConnect(on: fd) } catch { throw TCPConnectError.setup(error) }
            }
            let connectedAtOnce: Bool
            do { connectedAtOnce = try SocketSetup.connect(fd, family: peer.family, to: peer) } catch { throw TCPConnectError.connect(error) }
            if !connectedAtOnce {
                try awaitConnection(fd, deadline: deadline, interruptFileDescriptor: interruptFileDescriptor,
                                    isInterrupted: isInterrupted)
            }
        } catch {
            try? Posix.close(fd)
            throw error
        }
        do { return try TCPStream(adopting: fd, peer: peer, blocking: blocking) } catch { throw .setup(error) }
    }

    /// Waits for a non-blocking connect to complete and reports its outcome from `SO_ERROR`.
    private static func awaitConnection(
        _ fd: Int32, deadline: UInt64, interruptFileDescriptor: Int32?, isInterrupted: () -> Bool
    ) throws(TCPConnectError) {
        var poller = Poller(capacity: 2)
        var watchesInterrupt = interruptFileDescriptor != nil
        while true {
            poller.removeAll()
            let socketIndex = poller.add(fd, interest: .writable)
            let interruptIndex = watchesInterrupt ? interruptFileDescriptor.map { poller.add($0, interest: .readable) } : nil
            let ready: Int
            do { ready = try poller.wait(until: deadline) } catch { throw .poll(error) }
            if let interruptIndex, !poller.events(at: interruptIndex).isEmpty {
                if isInterrupted() { throw .interrupted }
                watchesInterrupt = false
            }
            if ready == 0 { throw .connect(SystemError(errno: ETIMEDOUT, call: "connect")) }
            guard !poller.events(at: socketIndex).isEmpty else { continue }
            let outcome: Int32
            do { outcome = try Posix.option(fd, level: SOL_SOCKET, name: SO_ERROR) } catch { throw TCPConnectError.connect(error) }
            if outcome != 0 { throw .connect(SystemError(errno: outcome, call: "connect")) }
            return
        }
    }
}
