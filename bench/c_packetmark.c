/* The peer for `cargo xtask bench packetmark`: a preload that behaves like Gluon's C
 * libpacketmark behaves (written for this benchmark from that behaviour, not copied):
 * the mark from atoi() in a constructor, the real socket() from dlsym(RTLD_NEXT) without a
 * check, and setsockopt(SO_MARK) on every successful socket of every family, its result
 * ignored and errno restored. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

static int (*next_socket)(int, int, int);
static unsigned mark;

__attribute__((constructor)) static void set_up(void)
{
    const char *value = getenv("LIBPACKETMARK_MARK");
    mark = value ? (unsigned)atoi(value) : 0;
    next_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
}

int socket(int domain, int type, int protocol)
{
    int fd = next_socket(domain, type, protocol);
    if (fd >= 0) {
        int saved = errno;
        setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
        errno = saved;
    }
    return fd;
}
