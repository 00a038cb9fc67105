// Batched datagram I/O: UDP generic segmentation offload (one sendmsg carrying many equal
// datagrams) and recvmmsg with UDP generic receive offload (one call returning many). Glibc
// exposes neither to Swift: both need control messages or the mmsg structures.
#define _GNU_SOURCE
#include "crudp_shim.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#ifdef __linux__
#include <netinet/udp.h>
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#endif

long crudp_send_segmented(int fd, const void *bytes, size_t length, uint16_t segment_size,
                          const struct sockaddr *destination, unsigned destination_length) {
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = length};
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = (void *)destination;
    message.msg_namelen = destination_length;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
#ifdef __linux__
    union {
        char buffer[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control;
    if (segment_size > 0 && length > segment_size) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_UDP;
        header->cmsg_type = UDP_SEGMENT;
        header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
    }
#else
    if (segment_size > 0 && length > segment_size) return -EOPNOTSUPP;
#endif
    for (;;) {
        ssize_t sent = sendmsg(fd, &message, 0);
        if (sent >= 0) return (long)sent;
        if (errno != EINTR) return -errno;
    }
}

int crudp_enable_receive_offload(int fd) {
#ifdef __linux__
    int on = 1;
    return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0 ? 0 : -errno;
#else
    (void)fd;
    return -EOPNOTSUPP;
#endif
}

int crudp_receive_batch(int fd, struct crudp_received_datagram *datagrams, int count) {
#ifdef __linux__
    enum { maximum = 64 };
    if (count > maximum) count = maximum;
    struct mmsghdr messages[maximum];
    struct iovec vectors[maximum];
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } controls[maximum];
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = datagrams[i].buffer;
        vectors[i].iov_len = datagrams[i].capacity;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &datagrams[i].address;
        messages[i].msg_hdr.msg_namelen = sizeof datagrams[i].address;
        messages[i].msg_hdr.msg_control = controls[i].buffer;
        messages[i].msg_hdr.msg_controllen = sizeof controls[i].buffer;
    }
    int received;
    do {
        received = recvmmsg(fd, messages, (unsigned)count, MSG_DONTWAIT, NULL);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return -errno;
    for (int i = 0; i < received; i++) {
        datagrams[i].length = messages[i].msg_len;
        datagrams[i].address_length = messages[i].msg_hdr.msg_namelen;
        datagrams[i].segment_size = 0;
        for (struct cmsghdr *header = CMSG_FIRSTHDR(&messages[i].msg_hdr); header != NULL;
             header = CMSG_NXTHDR(&messages[i].msg_hdr, header)) {
            if (header->cmsg_level == SOL_UDP && header->cmsg_type == UDP_GRO) {
                int size;
                memcpy(&size, CMSG_DATA(header), sizeof size);
                datagrams[i].segment_size = (uint16_t)size;
            }
        }
    }
    return received;
#else
    (void)fd; (void)datagrams; (void)count;
    return -EOPNOTSUPP;
#endif
}
