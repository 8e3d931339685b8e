/* Reading a whole DNS-over-TCP message, for the test programs that speak TCP. */
#ifndef READ_ALL_H
#define READ_ALL_H
#include <stddef.h>
#include <unistd.h>

/* Reads exactly `len` bytes into `buf`: 0, or -1 when the stream ends or fails first. */
static int read_all(int fd, unsigned char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}
#endif
