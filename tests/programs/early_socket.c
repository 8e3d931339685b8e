/* A library whose constructor makes IPv4 sockets, preloaded after libpacketmark: the C
 * libraries run the later library's constructor first, so its socket() calls come before
 * libpacketmark's own constructor has read the configuration.
 * Without EARLY_THREADS it makes one socket and prints
 *   early fd=ok|-1 mark=N
 * With EARLY_THREADS=N, N threads released at once by a barrier race to make the process's
 * first socket, and it prints
 *   early threads=N marked=N refused=N other=N mark=N
 * (marked: a socket with the mark of the first one, refused: socket() failed with EINVAL). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned mark_of(int fd)
{
    unsigned mark = 0;
    socklen_t len = sizeof mark;
    getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len);
    return mark;
}

#define MAX_THREADS 64
static pthread_barrier_t start;
static int fds[MAX_THREADS], errnos[MAX_THREADS];

static void *race(void *arg)
{
    int index = (int)(long)arg;
    pthread_barrier_wait(&start);
    fds[index] = socket(AF_INET, SOCK_DGRAM, 0);
    errnos[index] = errno;
    return NULL;
}

__attribute__((constructor)) static void make_sockets_early(void)
{
    const char *threads_env = getenv("EARLY_THREADS");
    if (!threads_env) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        printf("early fd=%s mark=%u\n", fd >= 0 ? "ok" : "-1", fd >= 0 ? mark_of(fd) : 0);
        fflush(stdout);
        return;
    }
    int threads = atoi(threads_env);
    if (threads < 1 || threads > MAX_THREADS)
        threads = MAX_THREADS;
    pthread_t ids[MAX_THREADS];
    pthread_barrier_init(&start, NULL, threads);
    for (int i = 0; i < threads; i++)
        pthread_create(&ids[i], NULL, race, (void *)(long)i);
    for (int i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    unsigned mark = 0;
    int marked = 0, refused = 0, other = 0;
    for (int i = 0; i < threads; i++) {
        if (fds[i] >= 0 && mark == 0)
            mark = mark_of(fds[i]);
    }
    for (int i = 0; i < threads; i++) {
        if (fds[i] >= 0 && mark != 0 && mark_of(fds[i]) == mark)
            marked++;
        else if (fds[i] < 0 && errnos[i] == EINVAL)
            refused++;
        else
            other++;
        if (fds[i] >= 0)
            close(fds[i]);
    }
    printf("early threads=%d marked=%d refused=%d other=%d mark=%u\n", threads, marked, refused,
           other, mark);
    fflush(stdout);
}
