/* Load for dns54's tests: COUNT queries for distinct names (nNUMBER.example.test, type A) to
 * 127.0.0.1 PORT, at most WINDOW unanswered at a time, each waited for at most WAIT_MS, sent
 * 100 every 5 ms at most (a burst of thousands in microseconds overflows the listening
 * socket's buffer in the kernel, a few hundred datagrams, before any forwarder sees it);
 * then prints how many answers came with each response code, how many of the NOERROR ones
 * carried 192.0.2.7 and how many anything else, and how many never came:
 * "noerror N servfail N refused N other N genuine N forged N lost N".
 * Usage: flood PORT COUNT WINDOW WAIT_MS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: flood PORT COUNT WINDOW WAIT_MS\n");
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]), window = atoi(argv[3]);
    long wait = atol(argv[4]);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        perror("socket");
        return 1;
    }
    long *sent_at = calloc(count, sizeof *sent_at);
    char *done = calloc(count, 1);
    int sent = 0, outstanding = 0;
    long counts[4] = {0}, genuine = 0, forged = 0, lost = 0;
    int oldest = 0;
    long last_burst = 0;
    while (oldest < count) {
        long started = now_ms();
        int may_send = started - last_burst >= 5 ? 100 : 0;
        if (may_send) {
            last_burst = started;
        }
        for (int burst = 0; burst < may_send && sent < count && outstanding < window; burst++) {
            unsigned char query[64];
            int len = 12;
            memset(query, 0, 12);
            query[0] = sent >> 8;
            query[1] = sent & 0xff;
            query[2] = 1;
            query[5] = 1;
            char label[16];
            int n = snprintf(label, sizeof label, "n%d", sent);
            query[len++] = n;
            memcpy(query + len, label, n);
            len += n;
            memcpy(query + len, "\7example\4test\0\0\1\0\1", 18);
            len += 18;
            /* IDs beyond 65535 repeat, but a window of answered queries never holds two. */
            send(fd, query, len, 0);
            sent_at[sent++] = now_ms();
            outstanding++;
        }
        struct pollfd p = {fd, POLLIN, 0};
        /* 100 queries every 5 ms at most: 20,000 a second. */
        poll(&p, 1, outstanding < window && sent < count ? 1 : 10);
        /* Every answer waiting, so that our own socket's buffer never overflows. */
        for (;;) {
            unsigned char reply[600];
            ssize_t len = recv(fd, reply, sizeof reply, MSG_DONTWAIT);
            if (len < 0) {
                break;
            }
            if (len < 12) {
                continue;
            }
            int id = (reply[0] << 8) | reply[1];
            /* The newest outstanding query with this ID. */
            for (int q = sent - 1; q >= oldest; q--) {
                if ((q & 0xffff) == id && !done[q]) {
                    done[q] = 1;
                    outstanding--;
                    int rcode = reply[3] & 15;
                    counts[rcode == 0 ? 0 : rcode == 2 ? 1 : rcode == 5 ? 2 : 3]++;
                    if (rcode == 0) {
                        if (reply[len - 1] == 7) {
                            genuine++;
                        } else {
                            forged++;
                        }
                    }
                    break;
                }
            }
        }
        long now = now_ms();
        while (oldest < sent && (done[oldest] || now - sent_at[oldest] > wait)) {
            if (!done[oldest]) {
                done[oldest] = 1;
                outstanding--;
                lost++;
            }
            oldest++;
        }
    }
    printf("noerror %ld servfail %ld refused %ld other %ld genuine %ld forged %ld lost %ld\n",
           counts[0], counts[1], counts[2], counts[3], genuine, forged, lost);
    return 0;
}
