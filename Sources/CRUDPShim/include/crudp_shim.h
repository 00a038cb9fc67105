// System calls and macros Swift cannot reach directly (variadic ioctl, the mmsg family).
// Each function is a thin, documented wrapper; errors are returned as -errno.
#ifndef CRUDP_SHIM_H
#define CRUDP_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

/// Returns 1: lets Swift code check that the shim is linked.
int crudp_shim_version(void);

/// 1 if this CPU has the SHA-256 instructions (x86 SHA extensions, with SSSE3 and SSE4.1).
int crudp_has_sha256_instructions(void);
/// Runs the SHA-256 compression function over `blocks` 64-byte blocks with the SHA
/// instructions; `state` is H0…H7. Call only if crudp_has_sha256_instructions() is 1.
void crudp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 if this CPU has SSE4.2's crc32 instruction (CRC32C).
int crudp_has_crc32c_instruction(void);
/// CRC32C of `data` continuing from `crc`, in the same convention as the Swift CRC32C.update
/// (0 for no data; pre- and post-inverted). Call only if crudp_has_crc32c_instruction() is 1.
uint32_t crudp_crc32c_update(uint32_t crc, const uint8_t *data, size_t length);

// MARK: TUN devices (tun.c), for lossproxy link

/// Creates a new TUN device named `name` (IFF_TUN | IFF_NO_PI: each read and write is one bare
/// IP packet) and returns its descriptor, non-blocking and close-on-exec; the device lives until
/// the descriptor is closed. IFF_TUN_EXCL makes it fail with -EBUSY instead of attaching to a
/// device of that name that already exists. Returns -errno on failure (-ENOSYS off Linux,
/// -EINVAL for a name longer than 15 bytes).
int crudp_tun_create(const char *name);

#ifdef __linux__
#include <sys/types.h>
/// Starts `path` (fork + execve) with descriptors 0-2 set from `sources` (a descriptor to copy,
/// or -1) or else /dev/null opened with `null_flags` (or -1: left as ours), SIGINT, SIGTERM,
/// SIGPIPE and SIGHUP at their defaults and no signal blocked; in a process group of its own
/// with `own_group`; and, with `death_signal` > 0, sent that signal when the calling thread
/// ends, which its process's death (SIGKILL included) does (PR_SET_PDEATHSIG): call it from a
/// thread that lives as long as the child should. Returns the pid, or -1 with `*error` set
/// (the errno of the exec too, as posix_spawn reports it).
pid_t crudp_spawn(const char *path, char *const argv[], char *const envp[], const int sources[3],
                  const int null_flags[3], int own_group, int death_signal, int *error);
#endif

/// Sends `length` bytes as datagrams of `segment_size` bytes each (the last may be shorter)
/// in one call, with UDP generic segmentation offload; `segment_size` 0 sends one datagram.
/// Returns the bytes sent or -errno (-EINVAL, -EOPNOTSUPP, -EIO when the offload is missing).
long crudp_send_segmented(int fd, const void *bytes, size_t length, uint16_t segment_size,
                          const struct sockaddr *destination, unsigned destination_length);

/// Asks the kernel to coalesce received datagrams of one flow (UDP_GRO); 0 or -errno.
int crudp_enable_receive_offload(int fd);

/// One slot of a batch receive: the caller's buffer in, the datagram's length, source address
/// and (with receive offload) the size of the datagrams coalesced into it out.
struct crudp_received_datagram {
    void *buffer;
    size_t capacity;
    size_t length;
    struct sockaddr_storage address;
    socklen_t address_length;
    /// 0: one datagram; otherwise `length` holds datagrams of this size (the last may be shorter).
    uint16_t segment_size;
};

/// Receives up to `count` (at most 64) datagrams without blocking (recvmmsg). Returns how
/// many arrived, or -errno (-EAGAIN when none is waiting).
int crudp_receive_batch(int fd, struct crudp_received_datagram *datagrams, int count);

// MARK: Waiting (precise_poll.c)

/// ppoll(2): waits for events on `fds` up to `timeout` (nil: without limit), with
/// `signal_mask` (nil: the current one) in effect during the wait. Returns the number of
/// descriptors with events, or -errno (-EINTR after a signal; -ENOSYS off Linux).
int crudp_ppoll(struct pollfd *fds, unsigned long count, const struct timespec *timeout,
                const sigset_t *signal_mask);

/// Starts the kernel's writeback of `length` bytes of file `fd` from `offset` without waiting
/// for it (sync_file_range with SYNC_FILE_RANGE_WRITE on Linux; nothing elsewhere). Returns 0,
/// or -1 with errno set. Durability still needs fsync: this only spreads the writing out.
int crudp_start_writeback(int fd, long long offset, long long length);

#endif
