#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "crudp_shim.h"

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// fork + exec rather than posix_spawn, for the one thing posix_spawn cannot do: PR_SET_PDEATHSIG,
// set in the child before exec, so that the child gets `death_signal` when its parent dies, even
// by SIGKILL. Between fork and exec only async-signal-safe calls are made. An exec failure is
// reported through a close-on-exec pipe, so that the caller gets its errno as posix_spawn gives it.
pid_t crudp_spawn(const char *path, char *const argv[], char *const envp[], const int sources[3],
                  const int null_flags[3], int own_group, int death_signal, int *error) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { *error = errno; return -1; }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        int failure = 0;
        if (death_signal > 0) {
            if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) failure = errno;
            // The parent may have died before the request: then nobody is left to wait for us.
            else if (getppid() != parent) _exit(127);
        }
        if (!failure && own_group && setpgid(0, 0) != 0) failure = errno;
        for (int target = 0; target < 3 && !failure; target++) {
            if (sources[target] >= 0) {
                if (sources[target] == target) {
                    int flags = fcntl(target, F_GETFD);
                    if (flags < 0 || fcntl(target, F_SETFD, flags & ~FD_CLOEXEC) != 0) failure = errno;
                } else if (dup2(sources[target], target) < 0) {
                    failure = errno;
                }
            } else if (null_flags[target] >= 0) {
                int null_fd = open("/dev/null", null_flags[target]);
                if (null_fd < 0) failure = errno;
                else if (null_fd != target) {
                    if (dup2(null_fd, target) < 0) failure = errno;
                    close(null_fd);
                }
            }
        }
        if (!failure) {
            int defaults[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP};
            for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(path, argv, envp);
            failure = errno;
        }
        ssize_t ignored = write(report[1], &failure, sizeof failure);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int failure = 0;
    ssize_t got;
    do { got = read(report[0], &failure, sizeof failure); } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof failure) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *error = failure;
        return -1;
    }
    return pid;
}
#endif
