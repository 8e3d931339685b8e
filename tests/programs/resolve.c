/* What a program on a node experiences when it resolves a name: getaddrinfo() as musl's
 * resolver does it, which reads /etc/resolv.conf and asks port 53. Prints
 * "ok ADDRESS MS" or "error TEXT MS": the outcome and how long it took. With a PORT, it then
 * sends one datagram from a socket of its own to that port of the address it got (what a
 * program does with a name; a preload marks that socket). Usage: resolve NAME [PORT] */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: resolve NAME [PORT]\n");
        return 2;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    struct addrinfo *result = NULL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = getaddrinfo(argv[1], NULL, &hints, &result);
    long ms = elapsed_ms(&start);
    if (status != 0) {
        printf("error %s %ld\n", gai_strerror(status), ms);
        return 1;
    }
    char text[INET_ADDRSTRLEN];
    struct sockaddr_in *address = (struct sockaddr_in *)result->ai_addr;
    inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    printf("ok %s %ld\n", text, ms);
    int sent = 0;
    if (argc == 3) {
        address->sin_port = htons((unsigned short)atoi(argv[2]));
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sent = fd >= 0 && sendto(fd, "x", 1, 0, (struct sockaddr *)address, sizeof *address) == 1;
        if (!sent)
            perror("send");
        if (fd >= 0)
            close(fd);
    }
    freeaddrinfo(result);
    return argc == 3 && !sent;
}
