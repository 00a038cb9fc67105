// System calls and macros Swift cannot reach directly (variadic ioctl, the mmsg family).
// Each function is a thin, documented wrapper; errors are returned as -errno.
#ifndef CRUDP_SHIM_H
#define CRUDP_SHIM_H

#include <stddef.h>
#include <stdint.h>

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

#endif
