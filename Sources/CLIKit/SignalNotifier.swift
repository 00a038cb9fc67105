#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
#if os(Linux)
import Synchronization
#endif

/// Turns SIGINT/SIGTERM into something a poll loop can wait on: the handler records the signal
/// and writes a byte to a non-blocking self-pipe whose read end the loop polls beside its socket.
///
///     let signals = try SignalNotifier.install()
///     // poll([socket, signals.readFileDescriptor], …)
///     if let signal = signals.pendingSignal { clean up; throw InterruptedBySignal(signal: signal) }
///
/// The handler does only async-signal-safe work: an atomic store and write(2). One notifier
/// exists per process; installing again returns it (adding any new signals).
public final class SignalNotifier: Sendable {
    /// The end of the self-pipe to poll for readability (POLLIN); drained by `drain()`.
    public let readFileDescriptor: Int32
    private let writeFileDescriptor: Int32

    private init(readFileDescriptor: Int32, writeFileDescriptor: Int32) {
        self.readFileDescriptor = readFileDescriptor
        self.writeFileDescriptor = writeFileDescriptor
    }

    private static let installLock = NSLock()
    nonisolated(unsafe) private static var installed: SignalNotifier? = nil

    /// Installs handlers for `signals` (SIGINT and SIGTERM by default) and returns the notifier.
    /// Throws `RuntimeFailure` if the pipe or a handler cannot be set up.
    public static func install(_ signals: [Int32] = [SIGINT, SIGTERM]) throws -> SignalNotifier {
        installLock.lock()
        defer { installLock.unlock() }
        let notifier: SignalNotifier
        if let existing = installed {
            notifier = existing
        } else {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw RuntimeFailure("pipe: \(errnoText())") }
            for end in ends {
                // Non-blocking: a full pipe must never block the handler. Close-on-exec: child
                // processes (rudp-lab's) must not inherit it.
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            }
            notifier = SignalNotifier(readFileDescriptor: ends[0], writeFileDescriptor: ends[1])
            SignalState.setWakeupDescriptor(ends[1])
            installed = notifier
        }
        for signalNumber in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = recordSignal
            action.sa_flags = SA_RESTART
            #else
            action.__sigaction_u.__sa_handler = recordSignal
            action.sa_flags = SA_RESTART
            #endif
            sigemptyset(&action.sa_mask)
            guard sigaction(signalNumber, &action, nil) == 0 else {
                throw RuntimeFailure("sigaction(\(signalName(signalNumber))): \(errnoText())")
            }
        }
        // A process inherits its parent's signal mask: one started from a thread that blocks
        // SIGTERM (a test runner's, Dispatch's) would otherwise never see the signals it handles.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signalNumber in signals { sigaddset(&unblocked, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        return notifier
    }

    /// The most recent signal received, or nil if none has arrived.
    public var pendingSignal: Int32? {
        let value = SignalState.pending()
        return value == 0 ? nil : value
    }

    /// Empties the self-pipe after a wakeup so the next poll sleeps again. `pendingSignal` stays set.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(readFileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Ignores SIGPIPE so that writing to a closed pipe or socket returns EPIPE instead of killing
    /// the process. Note: an ignored disposition is inherited across exec by child processes.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// `SIGINT`, `SIGTERM`, … for messages.
    public static func signalName(_ signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGQUIT: return "SIGQUIT"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        case SIGPIPE: return "SIGPIPE"
        default: return "signal \(signalNumber)"
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// The error a program throws when it stops because of a signal; `runMain` prints
/// `program: interrupted by SIGINT` and exits 1.
public struct InterruptedBySignal: Error, CustomStringConvertible, Equatable, Sendable {
    /// The signal number.
    public let signal: Int32

    public init(signal: Int32) {
        self.signal = signal
    }

    public var description: String { "interrupted by \(SignalNotifier.signalName(signal))" }
}

/// The two words the signal handler touches, in storage that is safe to access from it.
enum SignalState {
    #if os(Linux)
    static func pending() -> Int32 { pendingSignalNumber.load(ordering: .acquiring) }
    static func setWakeupDescriptor(_ fd: Int32) { wakeupDescriptor.store(fd, ordering: .releasing) }
    #else
    // Synchronization's Atomic needs macOS 15; an aligned Int32 is the C `volatile sig_atomic_t` idiom.
    static func pending() -> Int32 { pendingSignalFallback }
    static func setWakeupDescriptor(_ fd: Int32) { wakeupDescriptorFallback = fd }
    #endif
}

#if os(Linux)
private let pendingSignalNumber = Atomic<Int32>(0)
private let wakeupDescriptor = Atomic<Int32>(-1)
#else
nonisolated(unsafe) private var pendingSignalFallback: Int32 = 0
nonisolated(unsafe) private var wakeupDescriptorFallback: Int32 = -1
#endif

/// The signal handler: records the signal and wakes the poll loop. Async-signal-safe only.
private func recordSignal(_ signalNumber: Int32) {
    let savedErrno = errno
    #if os(Linux)
    pendingSignalNumber.store(signalNumber, ordering: .releasing)
    let fd = wakeupDescriptor.load(ordering: .acquiring)
    #else
    pendingSignalFallback = signalNumber
    let fd = wakeupDescriptorFallback
    #endif
    if fd >= 0 {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}
