// ppoll(2), which Glibc declares only under _GNU_SOURCE and so hides from Swift: poll with a
// nanosecond timeout (and an optional signal mask), for timers that must fire on time.
#define _GNU_SOURCE
#include "crudp_shim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

int crudp_ppoll(struct pollfd *fds, unsigned long count, const struct timespec *timeout,
                const sigset_t *signal_mask) {
#ifdef __linux__
    int result = ppoll(fds, (nfds_t)count, timeout, signal_mask);
    return result >= 0 ? result : -errno;
#else
    (void)fds; (void)count; (void)timeout; (void)signal_mask;
    return -ENOSYS;
#endif
}
