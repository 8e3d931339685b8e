/* A DNS-over-TCP client that pipelines (RFC 7766 §6.2.1.1): it sends one A query for each
 * NAME, with IDs 1, 2, …, in a single write on one connection, then reads as many answers
 * and prints "ID RCODE ANCOUNT LENGTH" for each, in the order they arrive. Exits 1 when the
 * stream ends early or an answer does not come within five seconds.
 * Usage: pipeline ADDRESS PORT NAME... */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "read_all.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: pipeline ADDRESS PORT NAME...\n");
        return 2;
    }
    struct sockaddr_in server;
    memset(&server, 0, sizeof server);
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)atoi(argv[2]));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval five = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&server, sizeof server) != 0) {
        perror("connect");
        return 1;
    }
    static unsigned char out[16384];
    size_t at = 0;
    int queries = argc - 3;
    for (int q = 0; q < queries; q++) {
        size_t start = at;
        at += 2;
        const unsigned char header[12] = {0, (unsigned char)(q + 1), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
        memcpy(out + at, header, sizeof header);
        at += sizeof header;
        for (char *label = strtok(argv[3 + q], "."); label; label = strtok(NULL, ".")) {
            out[at++] = (unsigned char)strlen(label);
            memcpy(out + at, label, strlen(label));
            at += strlen(label);
        }
        const unsigned char tail[5] = {0, 0, 1, 0, 1};
        memcpy(out + at, tail, sizeof tail);
        at += sizeof tail;
        size_t len = at - start - 2;
        out[start] = (unsigned char)(len >> 8);
        out[start + 1] = len & 0xff;
    }
    if (write(fd, out, at) != (ssize_t)at) {
        perror("write");
        return 1;
    }
    static unsigned char answer[65535];
    for (int q = 0; q < queries; q++) {
        unsigned char length[2];
        if (read_all(fd, length, 2) != 0) {
            fprintf(stderr, "the stream ended before answer %d\n", q + 1);
            return 1;
        }
        size_t len = (size_t)(length[0] << 8 | length[1]);
        if (len < 12 || read_all(fd, answer, len) != 0) {
            fprintf(stderr, "answer %d cut short\n", q + 1);
            return 1;
        }
        printf("%u %u %u %zu\n", (answer[0] << 8) | answer[1], answer[3] & 0xf,
               (answer[6] << 8) | answer[7], len);
    }
    return 0;
}
