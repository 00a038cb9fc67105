// TUN device creation for lossproxy link. The ioctl is variadic, and the ifreq layout and
// TUNSETIFF value come from kernel headers Swift does not import.
#include "crudp_shim.h"

#include <errno.h>
#include <string.h>

#ifdef __linux__
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

int crudp_tun_create(const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length >= IFNAMSIZ) return -EINVAL;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, name, length);
    // ifr_flags is a short; IFF_TUN_EXCL (0x8000) is its sign bit, hence the cast.
    request.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        int code = errno;
        close(fd);
        return -code;
    }
    return fd;
}

#else

int crudp_tun_create(const char *name) {
    (void)name;
    return -ENOSYS;
}

#endif
