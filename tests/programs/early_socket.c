/* A library whose constructor makes an IPv4 socket, preloaded after libpacketmark: the C
 * libraries run the later library's constructor first, so its socket() comes before
 * libpacketmark's own constructor has read the configuration. */
#include <stdio.h>
#include <sys/socket.h>

__attribute__((constructor)) static void make_a_socket_early(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    unsigned mark = 0;
    socklen_t len = sizeof mark;
    if (fd >= 0)
        getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len);
    printf("early fd=%s mark=%u\n", fd >= 0 ? "ok" : "-1", mark);
    fflush(stdout);
}
