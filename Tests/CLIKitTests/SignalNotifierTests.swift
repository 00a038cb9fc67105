#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import CLIKit

/// Raises `signal` on this thread with it unblocked: test runner threads block signals (as
/// Dispatch worker threads do), which would leave it pending instead of running the handler.
func raiseUnblocked(_ signal: Int32) {
    var only = sigset_t()
    sigemptyset(&only)
    sigaddset(&only, signal)
    var previous = sigset_t()
    pthread_sigmask(SIG_UNBLOCK, &only, &previous)
    raise(signal)
    pthread_sigmask(SIG_SETMASK, &previous, nil)
}

@Suite struct SignalNotifierTests {
    @Test func recordsTheSignalAndWakesThePipe() throws {
        // SIGUSR1 stands in for SIGINT so a stray real Ctrl-C during the test run still works.
        let notifier = try SignalNotifier.install([SIGUSR1])
        #expect(try SignalNotifier.install([SIGUSR2]) === notifier)

        notifier.drain()
        var waiter = pollfd(fd: notifier.readFileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&waiter, 1, 0) == 0, "pipe readable before any signal")

        raiseUnblocked(SIGUSR1)
        #expect(notifier.pendingSignal == SIGUSR1)
        waiter.revents = 0
        #expect(poll(&waiter, 1, 1000) == 1, "signal did not wake the pipe")
        notifier.drain()
        waiter.revents = 0
        #expect(poll(&waiter, 1, 0) == 0, "drain left bytes in the pipe")
        #expect(notifier.pendingSignal == SIGUSR1)

        raiseUnblocked(SIGUSR2)
        #expect(notifier.pendingSignal == SIGUSR2)
        notifier.drain()
    }

    @Test func pipeIsNonBlockingAndCloseOnExec() throws {
        let notifier = try SignalNotifier.install([SIGUSR1])
        let flags = fcntl(notifier.readFileDescriptor, F_GETFL)
        #expect(flags & O_NONBLOCK != 0)
        #expect(fcntl(notifier.readFileDescriptor, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func namesSignals() {
        #expect(SignalNotifier.signalName(SIGINT) == "SIGINT")
        #expect(SignalNotifier.signalName(SIGTERM) == "SIGTERM")
        #expect(SignalNotifier.signalName(64) == "signal 64")
    }

    @Test func ignoringSIGPIPEMakesWritesFailWithEPIPE() {
        SignalNotifier.ignoreSIGPIPE()
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        var byte: UInt8 = 0
        #expect(write(ends[1], &byte, 1) == -1)
        #expect(errno == EPIPE)
        close(ends[1])
    }
}
