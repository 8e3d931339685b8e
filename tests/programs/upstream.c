/* A DNS upstream for dns54's tests: answers every A query with 192.0.2.7 and logs the source
 * port and ID of each query ("PORT ID" a line, to standard output), to show what a spoofer
 * would have to guess. Modes: "answer"; "forge", which first sends the asker forged replies
 * (wrong ID, another question, QR clear, from another port, from another address) carrying
 * 192.0.2.66, then the genuine one; "silent", which answers nothing; "servfail", which
 * answers every query SERVFAIL, as a server whose zone failed to load does; "big", which
 * answers with one TXT record of about 3,900 bytes (an answer near EDNS's 4,096). Each logged
 * line ends with the query's additional count: 1 when its EDNS OPT record came through.
 * "huge" answers over UDP with TC set and no records, as servers do when the answer does not
 * fit, and over TCP with one TXT record of 60,000 bytes.
 * Over TCP (port 53 of the same address, every mode but "forge" and "silent") each connection
 * is served by a child of its own, one query after the other; a query whose name starts with
 * the label "slow" is answered after 300 ms, so that answers can overtake each other.
 * Usage: upstream ADDRESS MODE [OTHER_ADDRESS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "read_all.h"

static int bound_as(const char *address, int port, int kind) {
    int fd = socket(AF_INET, kind, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    local.sin_port = htons(port);
    if (fd < 0 || inet_pton(AF_INET, address, &local.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        perror(address);
        exit(1);
    }
    if (kind == SOCK_STREAM && listen(fd, 16) != 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

static int bound(const char *address, int port) {
    return bound_as(address, port, SOCK_DGRAM);
}

/* The reply to `query` (len bytes) in `out`: QR set, one A record pointing at the name. */
static size_t answer(const unsigned char *query, size_t len, unsigned char last, unsigned char *out) {
    static const unsigned char record[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2};
    memcpy(out, query, len);
    out[2] |= 0x80;
    out[3] = 0x80;
    out[7] = 1;
    memcpy(out + len, record, sizeof record);
    out[len + sizeof record] = last;
    return len + sizeof record + 1;
}

/* The end of the question of `query`: after the name, the type and the class. */
static size_t question_end(const unsigned char *query, size_t len) {
    size_t at = 12;
    while (at < len && query[at] != 0) {
        at += query[at] + 1;
    }
    return at + 5;
}

/* The genuine reply to `query` in `mode`, over TCP or not, into `reply`; its length. */
static size_t respond(const char *mode, int tcp, const unsigned char *query, size_t len,
                      unsigned char *reply) {
    size_t n = answer(query, len, 7, reply);
    if (strcmp(mode, "big") == 0 || strcmp(mode, "huge") == 0) {
        /* The question, then one TXT record of strings of 255 bytes and a last, shorter one:
         * 3,910 bytes of data for "big" (15 strings and one of 69 bytes), 60,000 for "huge";
         * the OPT record of the query is not echoed. */
        size_t data = strcmp(mode, "big") == 0 ? 3910 : 60000;
        memcpy(reply, query, len);
        reply[2] |= 0x80;
        reply[3] = 0x80;
        reply[7] = 1;
        reply[11] = 0;
        size_t at = question_end(query, len);
        if (data > 4000 && !tcp) {
            reply[2] |= 0x02; /* TC: ask again over TCP */
            reply[7] = 0;
            return at;
        }
        static const unsigned char head[] = {0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60};
        memcpy(reply + at, head, sizeof head);
        at += sizeof head;
        reply[at++] = (unsigned char)(data >> 8);
        reply[at++] = data & 0xff;
        for (int i = 0; data > 0; i++) {
            size_t length = data - 1 > 255 ? 255 : data - 1;
            reply[at++] = (unsigned char)length;
            memset(reply + at, 'a' + i % 26, length);
            at += length;
            data -= length + 1;
        }
        n = at;
    }
    if (strcmp(mode, "servfail") == 0) {
        n = len;
        reply[3] = 0x82; /* RA, SERVFAIL */
        reply[7] = 0;
    }
    return n;
}

/* One TCP connection: queries one after the other until the asker closes it. */
static void serve_connection(int fd, const char *mode) {
    static unsigned char query[65535], reply[65535 + 2];
    for (;;) {
        unsigned char length[2];
        if (read_all(fd, length, 2) != 0) {
            return;
        }
        size_t len = (size_t)(length[0] << 8 | length[1]);
        if (len < 12 || read_all(fd, query, len) != 0) {
            return;
        }
        printf("tcp %u %u\n", (query[0] << 8) | query[1], (query[10] << 8) | query[11]);
        if (len > 17 && query[12] == 4 && memcmp(query + 13, "slow", 4) == 0) {
            usleep(300000);
        }
        size_t n = respond(mode, 1, query, len, reply + 2);
        reply[0] = (unsigned char)(n >> 8);
        reply[1] = n & 0xff;
        if (write(fd, reply, n + 2) != (ssize_t)(n + 2)) {
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: upstream ADDRESS MODE [OTHER_ADDRESS]\n");
        return 2;
    }
    int fd = bound(argv[1], 53);
    int forge = strcmp(argv[2], "forge") == 0;
    int silent = strcmp(argv[2], "silent") == 0;
    int other_port = forge ? bound(argv[1], 5353) : -1;
    int other_address = forge && argc > 3 ? bound(argv[3], 53) : -1;
    int stream = silent || forge ? -1 : bound_as(argv[1], 53, SOCK_STREAM);
    signal(SIGCHLD, SIG_IGN); /* no zombies from the connections' children */
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        struct pollfd ready[2] = {{fd, POLLIN, 0}, {stream, POLLIN, 0}};
        if (poll(ready, stream >= 0 ? 2 : 1, -1) < 0) {
            continue;
        }
        if (stream >= 0 && ready[1].revents & POLLIN) {
            int connection = accept(stream, NULL, NULL);
            if (connection >= 0 && fork() == 0) {
                serve_connection(connection, argv[2]);
                _exit(0);
            }
            if (connection >= 0) {
                close(connection);
            }
        }
        if (!(ready[0].revents & POLLIN)) {
            continue;
        }
        unsigned char query[512], reply[4096];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t len = recvfrom(fd, query, sizeof query, 0, (struct sockaddr *)&from, &from_len);
        if (len < 12) {
            continue;
        }
        printf("%u %u %u\n", ntohs(from.sin_port), (query[0] << 8) | query[1],
               (query[10] << 8) | query[11]);
        if (silent) {
            continue;
        }
        struct sockaddr *to = (struct sockaddr *)&from;
        if (forge) {
            size_t n = answer(query, (size_t)len, 66, reply);
            reply[1] ^= 1; /* wrong ID */
            sendto(fd, reply, n, 0, to, from_len);
            reply[1] ^= 1;
            reply[13] ^= 0x20; /* another question: the first letter's case is not enough */
            reply[13] = reply[13] == 'x' ? 'y' : 'x';
            sendto(fd, reply, n, 0, to, from_len);
            n = answer(query, (size_t)len, 66, reply);
            reply[2] &= 0x7f; /* QR clear */
            sendto(fd, reply, n, 0, to, from_len);
            reply[2] |= 0x80;
            sendto(other_port, reply, n, 0, to, from_len);
            if (other_address >= 0) {
                sendto(other_address, reply, n, 0, to, from_len);
            }
        }
        size_t n = respond(argv[2], 0, query, (size_t)len, reply);
        sendto(fd, reply, n, 0, to, from_len);
    }
}
