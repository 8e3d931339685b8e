/* A test program for libpacketmark: creates one socket as argv[1] asks, or, with "threads",
 * many IPv4 sockets from many threads at once, and prints what it sees:
 *   fd=ok|-1 errno=N mark=N leaked=N [nonblock=N cloexec=N]
 * argv[1] is "inet", "inet6", "unix", "flags" (IPv4 with SOCK_NONBLOCK | SOCK_CLOEXEC, whose
 * flags are printed), "noflags" (plain IPv4, flags printed), "gid" (prints only "gid=N", the
 * process's group), or anything else for an unknown family. errno is set to 4321 before the call, so an untouched errno prints as 4321.
 * leaked counts the descriptors the call left open besides the one it returned. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef RECORD_SETSOCKOPT
/* qemu-user cannot apply SO_MARK and its -strace shows only a pointer for the value: this
 * program stands in for the C library's setsockopt (the preload calls it through the dynamic
 * linker) and prints what it was asked for, value bytes in memory order. With
 * SETSOCKOPT_FAILS=N in the environment it then fails with errno N, as a kernel that refuses
 * the mark would. */
int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
    const unsigned char *bytes = value;
    const char *fails = getenv("SETSOCKOPT_FAILS");
    (void)fd;
    printf("setsockopt level=%d name=%d len=%u bytes=", level, name, (unsigned)len);
    for (socklen_t i = 0; i < len; i++)
        printf("%02x", bytes[i]);
    printf("\n");
    if (fails) {
        errno = atoi(fails);
        return -1;
    }
    return 0;
}
#endif

static unsigned mark_of(int fd)
{
    unsigned mark = 0;
    socklen_t len = sizeof mark;
    return getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len) == 0 ? mark : 0;
}

/* The process's open descriptors (the directory's own one is counted both times alike). */
static int open_descriptors(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    if (!dir)
        return -1;
    while (readdir(dir))
        count++;
    closedir(dir);
    return count;
}

#define THREADS 16
#define SOCKETS_PER_THREAD 50
static unsigned first_mark;
static int wrong;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *make_sockets(void *arg)
{
    (void)arg;
    for (int i = 0; i < SOCKETS_PER_THREAD; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        unsigned mark = fd >= 0 ? mark_of(fd) : 0;
        pthread_mutex_lock(&lock);
        if (fd < 0 || mark != first_mark)
            wrong++;
        pthread_mutex_unlock(&lock);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "inet";
    if (strcmp(what, "gid") == 0) {
        printf("gid=%u\n", (unsigned)getgid());
        return 0;
    }
    if (strcmp(what, "threads") == 0) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        first_mark = fd >= 0 ? mark_of(fd) : 0;
        pthread_t threads[THREADS];
        for (int i = 0; i < THREADS; i++)
            pthread_create(&threads[i], NULL, make_sockets, NULL);
        for (int i = 0; i < THREADS; i++)
            pthread_join(threads[i], NULL);
        printf("sockets=%d wrong=%d mark=%u\n", THREADS * SOCKETS_PER_THREAD, wrong, first_mark);
        return 0;
    }
    int show_flags = strcmp(what, "flags") == 0 || strcmp(what, "noflags") == 0;
    int type = SOCK_DGRAM | (strcmp(what, "flags") == 0 ? SOCK_NONBLOCK | SOCK_CLOEXEC : 0);
    int family = strcmp(what, "inet") == 0 || show_flags ? AF_INET
                 : strcmp(what, "inet6") == 0           ? AF_INET6
                 : strcmp(what, "unix") == 0            ? AF_UNIX
                                                        : 4242;
    int before = open_descriptors();
    errno = 4321;
    int fd = socket(family, type, 0);
    int err = errno;
    int leaked = open_descriptors() - before - (fd >= 0);
    printf("fd=%s errno=%d mark=%u leaked=%d", fd >= 0 ? "ok" : "-1", err,
           fd >= 0 ? mark_of(fd) : 0, leaked);
    if (show_flags && fd >= 0)
        printf(" nonblock=%d cloexec=%d", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
               (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    printf("\n");
    return 0;
}
