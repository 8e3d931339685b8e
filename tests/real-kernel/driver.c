/* The checks of the shipped files on a real kernel: /init of the initramfs that
 * `cargo xtask test` boots under qemu-system for each family (and, for x86-64, the first
 * process of a namespace on the machine's own kernel). qemu-user translates system calls and
 * restores every register, so only a real kernel shows what these programs do on a router:
 * MIPS once lost a register across a system call there and `routes` exited with the wrong
 * status.
 *
 * Each check prints one line on the console, which the host counts like a test:
 *   GWT-PLAN N                 before the first check: how many follow
 *   GWT-CHECK ok NAME
 *   GWT-CHECK FAILED NAME: WHY
 *   GWT-INFO TEXT              what a failure needs to be understood (program output)
 *   GWT-END                    after the last
 * then the machine powers off. Every command's state is read back with busybox, a decoder
 * that is not ours. (busybox 1.35's `ip -6 route show table 1` shows nothing once `lo` is up,
 * where iproute2 shows the route: IPv6 routes are read from `table all`.)
 *
 * The tree it runs in: /usr/sbin/{routes,dns54,viawan}, /usr/lib/libpacketmark.so,
 * /bin/busybox, /usr/bin/marktest (a dynamic musl program: tests/programs/marktest.c),
 * /usr/bin/upstream (tests/programs/upstream.c), musl's loader, /etc/passwd and /etc/group. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

/* How often each exit status of `routes` is asked for: the register bug gave the right
 * status in some runs and the wrong one in others. */
#define RUNS 5
/* The checks below, counted by hand: GWT-PLAN tells the host how many to expect, so that a
 * guest that dies half-way leaves the rest counted as not run. */
#define PLAN 34

static const char *const preload_env = "LD_PRELOAD=/usr/lib/libpacketmark.so";
static int checks_done;

static void say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    fflush(stdout);
}

static int check(int ok, const char *name, const char *why_format, ...)
{
    checks_done++;
    if (ok) {
        say("GWT-CHECK ok %s\n", name);
        return 1;
    }
    char why[512];
    va_list args;
    va_start(args, why_format);
    vsnprintf(why, sizeof why, why_format, args);
    va_end(args);
    say("GWT-CHECK FAILED %s: %s\n", name, why);
    return 0;
}

/* Program output, one GWT-INFO line per line of it. */
static void info_lines(const char *what, const char *text)
{
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        say("GWT-INFO %s: %.*s\n", what, len, line);
        line += len + (end != NULL);
    }
}

struct result {
    int status; /* the exit status, 128+N for signal N, -1 when it could not run or hung */
    char out[8192];
};

/* Runs argv with extra environment entries (NULL-terminated `env`), standard output and
 * error together into `r->out`, as `user`:`group` when they are not -1, for at most
 * `seconds`. */
static void run_as(struct result *r, char *const argv[], char *const env[], int user, int group,
                   int seconds)
{
    int pipe_fds[2];
    r->status = -1;
    r->out[0] = 0;
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        if (group != -1 && (setgroups(0, NULL) != 0 || setgid(group) != 0))
            _exit(120);
        if (user != -1 && setuid(user) != 0)
            _exit(121);
        execve(argv[0], argv, env);
        _exit(127);
    }
    close(pipe_fds[1]);
    size_t used = 0;
    time_t deadline = time(NULL) + seconds;
    for (;;) {
        struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
        int left = (int)(deadline - time(NULL));
        if (left <= 0 || poll(&p, 1, left * 1000) <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(pipe_fds[0], r->out + used, sizeof r->out - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof r->out - 1)
            used = 0; /* keep the tail, which has the verdict */
    }
    r->out[used] = 0;
    close(pipe_fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return;
    if (time(NULL) >= deadline)
        return;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run(struct result *r, char *const argv[])
{
    static char *const no_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    run_as(r, argv, no_env, -1, -1, 20);
}

/* A space-separated command line as argv (at most 31 words), in a buffer of the caller's. */
static void split(char *line, char *argv[32])
{
    int n = 0;
    for (char *word = strtok(line, " "); word && n < 31; word = strtok(NULL, " "))
        argv[n++] = word;
    argv[n] = NULL;
}

static void sh(struct result *r, const char *command)
{
    char line[512], *argv[32];
    snprintf(line, sizeof line, "%s", command);
    split(line, argv);
    run(r, argv);
}

/* Whitespace runs folded to one space, so that busybox's tabs and ours compare. */
static void fold(char *text)
{
    char *out = text;
    int blank = 0;
    for (char *in = text; *in; in++) {
        if (*in == ' ' || *in == '\t') {
            blank = 1;
            continue;
        }
        if (blank && out != text && out[-1] != '\n' && *in != '\n')
            *out++ = ' ';
        blank = 0;
        *out++ = *in;
    }
    *out = 0;
}

/* Whether `line` holds the words of `wanted` in their order (other words may come between:
 * busybox adds fields such as `proto` that the check does not care about). */
static int holds_words(const char *line, size_t len, const char *wanted)
{
    char words[256];
    snprintf(words, sizeof words, "%s", wanted);
    size_t at = 0;
    for (char *word = strtok(words, " "); word; word = strtok(NULL, " ")) {
        size_t w = strlen(word);
        int found = 0;
        while (at < len) {
            size_t end = at;
            while (end < len && line[end] != ' ')
                end++;
            int same = end - at == w && memcmp(line + at, word, w) == 0;
            at = end + 1;
            if (same) {
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* Whether `command` (busybox ip …) prints a line with the words of `wanted`. */
static int shows(const char *command, const char *wanted, struct result *r)
{
    sh(r, command);
    if (r->status != 0)
        return 0;
    fold(r->out);
    for (const char *line = r->out; *line;) {
        size_t len = strcspn(line, "\n");
        if (holds_words(line, len, wanted))
            return 1;
        line += len + (line[len] != 0);
    }
    return 0;
}

/* `routes ARGS` RUNS times, every run ending with `expected` and, when `says` is given,
 * printing it (the kernel's own words for a refusal, which routes passes on). */
static void routes_says(const char *args, int expected, const char *says)
{
    char command[256], name[320];
    snprintf(command, sizeof command, "/usr/sbin/routes %s", args);
    snprintf(name, sizeof name, "routes %s exits %d (%d runs)", args, expected, RUNS);
    char statuses[64] = "";
    int right = 0;
    struct result r;
    for (int i = 0; i < RUNS; i++) {
        sh(&r, command);
        right += r.status == expected && (!says || strstr(r.out, says));
        snprintf(statuses + strlen(statuses), sizeof statuses - strlen(statuses), " %d",
                 r.status);
    }
    if (!check(right == RUNS, name, "exit statuses:%s%s%s", statuses, says ? "; wanted: " : "",
               says ? says : ""))
        info_lines("routes", r.out);
}

static void routes_status(const char *args, int expected)
{
    routes_says(args, expected, NULL);
}

static void check_shows(const char *name, const char *command, const char *wanted, int present)
{
    struct result r;
    int found = shows(command, wanted, &r);
    if (!check(found == present, name, "`%s` %s `%s`", command,
               present ? "does not show" : "still shows", wanted))
        info_lines("busybox", r.out);
}

static void routes_checks(void)
{
    /* The table of the issue that found the MIPS register bug, then routes/README.md's
     * other statuses. */
    routes_status("gluon-wan up -46", 0);
    check_shows("gluon-wan up: busybox sees the IPv4 rule at pref 1", "/bin/busybox ip -4 rule show",
                "1: from all fwmark 0x1/0x1 lookup 1", 1);
    check_shows("gluon-wan up: busybox sees the IPv6 rule at pref 1", "/bin/busybox ip -6 rule show",
                "1: from all fwmark 0x1/0x1 lookup 1", 1);
    check_shows("gluon-wan up: busybox sees the IPv4 fallback in table 1",
                "/bin/busybox ip -4 route show table 1", "unreachable default", 1);
    check_shows("gluon-wan up: busybox sees the IPv6 fallback in table 1",
                "/bin/busybox ip -6 route show table all",
                "unreachable default dev lo table 1 metric 65535", 1);
    routes_status("gluon-wan check -46", 0);
    routes_status("-4 rule add fwmark 0x1/0x1 lookup 1 pref 1", 0);
    routes_status("-6 route add 2001:db8::/32 dev lo metric 100", 0);
    check_shows("route add: busybox sees 2001:db8::/32", "/bin/busybox ip -6 route show",
                "2001:db8::/32 dev lo metric 100", 1);
    routes_says("-6 route add 2001:db8:1::/48 via fe80::1 dev lo table 200 metric 7", 3,
                "kernel: Egress device can not be loopback device for this route");
    routes_says("-4 route add unreachable 192.0.2.0/24 dev lo table 1", 3,
                "kernel: Gateway, device and multipath can not be specified for this route type");
    routes_status("-4 check rule add fwmark 0x2/0x2 lookup 2 pref 2", 1);
    routes_status("rule add fwmark 0x2/0x2 lookup 2", 2);
    routes_status("gluon-wan down -46", 0);
    check_shows("gluon-wan down: busybox sees no IPv4 rule", "/bin/busybox ip -4 rule show",
                "fwmark 0x1/0x1 lookup 1", 0);
    check_shows("gluon-wan down: busybox sees no IPv6 fallback",
                "/bin/busybox ip -6 route show table all", "unreachable default dev lo table 1", 0);
    routes_status("gluon-wan check -46", 1);
}

/* marktest's line for one socket: "fd=ok errno=N mark=N leaked=N". */
static void preload_check(const char *name, const char *mark, const char *on_error, int user,
                          const char *wanted)
{
    char mark_env[64], error_env[64];
    char *env[] = {"PATH=/usr/bin", (char *)preload_env, mark_env, NULL, NULL};
    snprintf(mark_env, sizeof mark_env, "LIBPACKETMARK_MARK=%s", mark);
    if (on_error) {
        snprintf(error_env, sizeof error_env, "LIBPACKETMARK_ON_ERROR=%s", on_error);
        env[3] = error_env;
    }
    char *argv[] = {"/usr/bin/marktest", "inet", NULL};
    struct result r;
    run_as(&r, argv, env, user, user, 20);
    if (!check(r.status == 0 && strstr(r.out, wanted) != NULL, name, "wanted `%s`", wanted))
        info_lines("marktest", r.out);
}

static void preload_checks(void)
{
    char einval[64], eperm[64];
    snprintf(einval, sizeof einval, "fd=-1 errno=%d mark=0", EINVAL);
    snprintf(eperm, sizeof eperm, "fd=-1 errno=%d mark=0", EPERM);
    preload_check("preload: mark 1 on a socket of a musl process", "1", NULL, -1,
                  "fd=ok errno=4321 mark=1 leaked=0");
    preload_check("preload: mark 0x80000001", "0x80000001", NULL, -1,
                  "fd=ok errno=4321 mark=2147483649 leaked=0");
    preload_check("preload: a bad mark fails closed with EINVAL", "bogus", NULL, -1, einval);
    preload_check("preload: unprivileged, the socket is refused with EPERM", "1", NULL, 65534,
                  eperm);
    preload_check("preload: unprivileged with LIBPACKETMARK_ON_ERROR=ignore, unmarked", "1",
                  "ignore", 65534, "fd=ok errno=4321 mark=0 leaked=0");
}

static void viawan_checks(void)
{
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    char *marked[] = {"/usr/sbin/viawan", "--group", "gluon-mesh-vpn", "marktest", "inet", NULL};
    struct result r;
    run_as(&r, marked, env, -1, -1, 20);
    if (!check(r.status == 0 && strstr(r.out, "fd=ok errno=4321 mark=1 leaked=0"),
               "viawan: the command's socket carries mark 1", "status %d", r.status))
        info_lines("viawan", r.out);
    char *group[] = {"/usr/sbin/viawan", "--group", "gluon-mesh-vpn", "marktest", "gid", NULL};
    run_as(&r, group, env, -1, -1, 20);
    if (!check(r.status == 0 && strcmp(r.out, "gid=800\n") == 0,
               "viawan: the command runs in the group", "status %d", r.status))
        info_lines("viawan", r.out);
    /* What the preload cannot reach is not run: its sockets would go unmarked. */
    char *static_command[] = {"/usr/sbin/viawan", "--group", "gluon-mesh-vpn", "/bin/busybox",
                              "id", NULL};
    run_as(&r, static_command, env, -1, -1, 20);
    if (!check(r.status == 126 && strstr(r.out, "statically linked"),
               "viawan: a static command is refused (126)", "status %d", r.status))
        info_lines("viawan", r.out);
    char *no_preload[] = {"/usr/sbin/viawan", "--preload", "/usr/lib/no-such-preload.so",
                          "marktest", "inet", NULL};
    run_as(&r, no_preload, env, -1, -1, 20);
    if (!check(r.status == 125 && !strstr(r.out, "fd="),
               "viawan: a missing preload is refused (125)", "status %d", r.status))
        info_lines("viawan", r.out);
}

/* A query for `name` type A with ID `id`, in DNS wire format, into `q`; its length. */
static size_t query_for(unsigned char *q, unsigned id, const char *name)
{
    size_t n = 0;
    q[n++] = id >> 8, q[n++] = id & 0xff;
    q[n++] = 0x01, q[n++] = 0x00; /* RD */
    q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t len = dot ? (size_t)(dot - label) : strlen(label);
        q[n++] = (unsigned char)len;
        memcpy(q + n, label, len);
        n += len;
        label += len + (dot != NULL);
    }
    q[n++] = 0;
    q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
    return n;
}

static int address_of(const char *text, struct sockaddr_storage *addr, socklen_t *len)
{
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(54);
        *len = sizeof *v4;
        return AF_INET;
    }
    inet_pton(AF_INET6, text, &v6->sin6_addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(54);
    *len = sizeof *v6;
    return AF_INET6;
}

/* Asks dns54 at `server`:54 over UDP or TCP; the answer's rcode, or -1 without an answer.
 * `answered_a` tells whether it carried the upstream's 192.0.2.7. */
static int ask(const char *server, int tcp, unsigned id, int *answered_a)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int family = address_of(server, &addr, &len);
    int fd = socket(family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    unsigned char q[300], a[1024];
    size_t qlen = query_for(q + 2, id, "real-kernel.example");
    struct timeval timeout = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    *answered_a = 0;
    int rcode = -1;
    ssize_t n = -1;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, len) == 0) {
        if (tcp) {
            q[0] = qlen >> 8, q[1] = qlen & 0xff;
            if (write(fd, q, qlen + 2) == (ssize_t)(qlen + 2)) {
                size_t got = 0;
                while (got < sizeof a) {
                    ssize_t k = read(fd, a + got, sizeof a - got);
                    if (k <= 0)
                        break;
                    got += (size_t)k;
                    if (got >= 2 && got >= 2u + (a[0] << 8 | a[1]))
                        break;
                }
                if (got >= 14) {
                    memmove(a, a + 2, got - 2);
                    n = (ssize_t)got - 2;
                }
            }
        } else if (send(fd, q + 2, qlen, 0) == (ssize_t)qlen) {
            n = recv(fd, a, sizeof a, 0);
        }
    }
    if (n >= 12 && a[0] == (id >> 8) && a[1] == (id & 0xff) && (a[2] & 0x80)) {
        static const unsigned char answer[4] = {192, 0, 2, 7};
        rcode = a[3] & 0x0f;
        for (ssize_t i = 12; i + 4 <= n; i++)
            if (memcmp(a + i, answer, 4) == 0)
                *answered_a = 1;
    }
    if (fd >= 0)
        close(fd);
    return rcode;
}

/* Starts a program in the background with its output on the console; its PID. */
static pid_t start(char *const argv[])
{
    static char *const env[] = {"PATH=/usr/sbin:/usr/bin", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, env);
        _exit(127);
    }
    return pid;
}

/* Waits until `server`:54 answers, for a few seconds. */
static int wait_for_dns54(const char *server)
{
    for (int i = 0; i < 50; i++) {
        int a;
        if (ask(server, 0, 0x4242, &a) >= 0)
            return 1;
        struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

/* The value of `field` (e.g. "CapEff:") in /proc/PID/status. */
static int status_field(pid_t pid, const char *field, char *value, size_t size)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = 0;
    char *at = strstr(text, field);
    if (!at)
        return 0;
    at += strlen(field);
    while (*at == ' ' || *at == '\t')
        at++;
    size_t len = strcspn(at, "\n");
    snprintf(value, size, "%.*s", (int)len, at);
    return 1;
}

static void dns54_checks(void)
{
    char *upstream[] = {"/usr/bin/upstream", "127.0.0.2", "answer", NULL};
    char *dns54[] = {"/usr/sbin/dns54", "--server", "127.0.0.2", "--mark", "1",
                     "--user", "nobody", NULL};
    pid_t upstream_pid = start(upstream);
    pid_t pid = start(dns54);
    int up = wait_for_dns54("127.0.0.1");
    const char *servers[] = {"127.0.0.1", "::1"};
    for (int s = 0; s < 2; s++) {
        for (int tcp = 0; tcp < 2; tcp++) {
            char name[128];
            int a = 0;
            snprintf(name, sizeof name, "dns54 answers over %s on %s", tcp ? "TCP" : "UDP",
                     servers[s]);
            int rcode = up ? ask(servers[s], tcp, 0x100 + s * 2 + tcp, &a) : -1;
            check(rcode == 0 && a, name, "rcode %d, upstream's address %s", rcode,
                  a ? "present" : "missing");
        }
    }

    char caps[64] = "?", uid[64] = "?";
    status_field(pid, "CapEff:", caps, sizeof caps);
    status_field(pid, "Uid:", uid, sizeof uid);
    /* CAP_NET_RAW is bit 13: what SO_MARK needs since Linux 5.17. */
    check(strcmp(caps, "0000000000002000") == 0 && strncmp(uid, "65534", 5) == 0,
          "dns54 --user nobody keeps exactly CAP_NET_RAW", "CapEff %s, Uid %s", caps, uid);

    /* Marked packets to the upstream now meet an unreachable route; unmarked ones would
     * still be delivered by the local table, which moves behind the mark's rule. */
    struct result r;
    sh(&r, "/bin/busybox ip -4 rule del priority 0 table 255");
    sh(&r, "/bin/busybox ip -4 rule add priority 10 table 255");
    sh(&r, "/usr/sbin/routes -4 rule add fwmark 0x1/0x1 lookup 100 pref 5");
    sh(&r, "/usr/sbin/routes -4 route add unreachable default table 100");
    int a = 0;
    int rcode = up ? ask("127.0.0.1", 0, 0x200, &a) : -1;
    check(rcode == 2, "dns54's upstream socket carries the mark (SERVFAIL when marked packets "
                      "are unreachable)",
          "rcode %d", rcode);
    sh(&r, "/usr/sbin/routes -4 rule del fwmark 0x1/0x1 lookup 100 pref 5");
    rcode = up ? ask("127.0.0.1", 0, 0x201, &a) : -1;
    check(rcode == 0 && a, "dns54 answers again once the mark's rule is gone", "rcode %d", rcode);

    kill(pid, SIGTERM);
    int status = -1;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dns54 exits 0 on SIGTERM",
          "wait status 0x%x", status);
    kill(upstream_pid, SIGKILL);
    waitpid(upstream_pid, NULL, 0);
}

/* As the first process of a real machine: the file systems the checks read. */
static void as_init(void)
{
    mkdir("/proc", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mkdir("/dev", 0755);
    if (access("/dev/null", F_OK) != 0)
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mkdir("/tmp", 01777);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getpid() == 1)
        as_init();
    struct result r;
    sh(&r, "/bin/busybox ip link set lo up");
    say("GWT-PLAN %d\n", PLAN);
    routes_checks();
    preload_checks();
    viawan_checks();
    dns54_checks();
    if (checks_done != PLAN)
        say("GWT-CHECK FAILED the driver's plan: it ran %d checks, not %d\n", checks_done, PLAN);
    say("GWT-END\n");
    sync();
    if (getpid() == 1 && !getenv("GWT_NATIVE"))
        reboot(RB_POWER_OFF);
    return 0;
}
