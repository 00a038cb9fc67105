#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RUDPNet
import SystemKit

/// `poll` over a reusable set of descriptors, sleeping until an absolute monotonic deadline
/// with sub-millisecond precision (`ppoll` where available): a datagram delayed by 20 ms is
/// released at 20 ms, not at the next whole millisecond. Allocates nothing once built.
struct EventWaiter {
    private var entries: [pollfd] = []

    init(capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }

    /// Registers `fd` for readability; returns its index.
    @discardableResult
    mutating func addReadable(_ fd: Int32) -> Int {
        entries.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        return entries.count - 1
    }

    /// Whether the last `wait` found the descriptor at `index` readable (or in error, which a
    /// read reports).
    func isReady(_ index: Int) -> Bool {
        entries[index].revents != 0
    }

    /// As `wait(until:)`, but first re-polls without sleeping for up to `spin` nanoseconds (see
    /// `BusyPoll.spin(for:until:_:)`).
    mutating func wait(until deadline: UInt64?, spinningFor spin: UInt64) throws(SystemError) -> Int {
        let ready = BusyPoll.spin(for: spin, until: deadline) {
            entries.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index].revents = 0 }
                return Int(poll(buffer.baseAddress, nfds_t(buffer.count), 0))
            }
        }
        if let ready { return ready }
        return try wait(until: deadline)
    }

    /// Sleeps until a descriptor is ready or `deadline` (ns, `MonotonicClock`) passes; nil
    /// waits without limit. Returns the number of ready descriptors; 0 after a timeout or a
    /// signal (the caller's loop recomputes what is due either way).
    mutating func wait(until deadline: UInt64?) throws(SystemError) -> Int {
        let now = MonotonicClock.now()
        let result: Int32 = entries.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index].revents = 0 }
            let count = nfds_t(buffer.count)
            if let precisePoll = ExtraSystemCalls.ppoll {
                guard let deadline else { return precisePoll(buffer.baseAddress, count, nil, nil) }
                let remaining = deadline > now ? deadline - now : 0
                var timeout = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
                return precisePoll(buffer.baseAddress, count, &timeout, nil)
            }
            return poll(buffer.baseAddress, count, Poller.timeoutMilliseconds(until: deadline, now: now))
        }
        if result >= 0 { return Int(result) }
        let code = errno
        if code == EINTR { return 0 }
        throw SystemError(errno: code, call: ExtraSystemCalls.ppoll == nil ? "poll" : "ppoll")
    }
}
