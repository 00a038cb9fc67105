// System calls and macros Swift cannot reach directly (variadic ioctl, the mmsg family).
// Each function is a thin, documented wrapper; errors are returned as -errno.
#ifndef CRUDP_SHIM_H
#define CRUDP_SHIM_H

/// Returns 1: lets Swift code check that the shim is linked.
int crudp_shim_version(void);

#endif
