/* A DNS upstream for dns54's tests: answers every A query with 192.0.2.7 and logs the source
 * port and ID of each query ("PORT ID" a line, to standard output), to show what a spoofer
 * would have to guess. Modes: "answer"; "forge", which first sends the asker forged replies
 * (wrong ID, another question, QR clear, from another port, from another address) carrying
 * 192.0.2.66, then the genuine one; "silent", which answers nothing; "servfail", which
 * answers every query SERVFAIL, as a server whose zone failed to load does; "big", which
 * answers with one TXT record of about 3,900 bytes (an answer near EDNS's 4,096). Each logged
 * line ends with the query's additional count: 1 when its EDNS OPT record came through.
 * Usage: upstream ADDRESS MODE [OTHER_ADDRESS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bound(const char *address, int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    local.sin_port = htons(port);
    if (fd < 0 || inet_pton(AF_INET, address, &local.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        perror(address);
        exit(1);
    }
    return fd;
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

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: upstream ADDRESS MODE [OTHER_ADDRESS]\n");
        return 2;
    }
    int fd = bound(argv[1], 53);
    int forge = strcmp(argv[2], "forge") == 0;
    int silent = strcmp(argv[2], "silent") == 0;
    int servfail = strcmp(argv[2], "servfail") == 0;
    int big = strcmp(argv[2], "big") == 0;
    int other_port = forge ? bound(argv[1], 5353) : -1;
    int other_address = forge && argc > 3 ? bound(argv[3], 53) : -1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
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
        size_t n = answer(query, (size_t)len, 7, reply);
        if (big) {
            /* The question, then one TXT record: 15 strings of 255 bytes and one of 69 bytes,
             * 3,910 bytes of data; the OPT record of the query is not echoed. */
            memcpy(reply, query, (size_t)len);
            reply[2] |= 0x80;
            reply[3] = 0x80;
            reply[7] = 1;
            reply[11] = 0;
            size_t at = 12;
            while (at < (size_t)len && reply[at] != 0) {
                at += reply[at] + 1;
            }
            at += 5; /* the root label, type and class */
            static const unsigned char head[] = {0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60};
            memcpy(reply + at, head, sizeof head);
            at += sizeof head;
            reply[at++] = 3910 >> 8;
            reply[at++] = 3910 & 0xff;
            for (int i = 0; i < 16; i++) {
                int length = i < 15 ? 255 : 69;
                reply[at++] = (unsigned char)length;
                memset(reply + at, 'a' + i, (size_t)length);
                at += (size_t)length;
            }
            n = at;
        }
        if (servfail) {
            n = (size_t)len;
            reply[3] = 0x82; /* RA, SERVFAIL */
            reply[7] = 0;
        }
        sendto(fd, reply, n, 0, to, from_len);
    }
}
