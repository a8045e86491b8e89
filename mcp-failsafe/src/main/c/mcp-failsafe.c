/*
 * mcp-failsafe: the node agent systemd starts (through bin/mcp up, which builds the command lines).
 *
 *   mcp-failsafe [--timescale N] --spec FILE ROOT
 *
 * FILE holds "--alert PROGRAM ARG... --child NAME PROGRAM ARG... --child ...", each word ended by
 * a NUL byte.
 *
 * Starts each child in order, restarts it when it exits (at once the first time, then after 1 s,
 * 2 s ... 256 s while it keeps failing), raises an alert after 10 and again after 30 minutes of
 * continuous failure, and on SIGTERM or SIGINT stops the children in reverse order (SIGTERM, and
 * SIGKILL after 5 s) and exits 0. Every transition is one line of var/log/events.jsonl, as the
 * other MCP processes write them, and one line on stderr.
 *
 * Each child's stdin is a pipe whose write end only this process holds and never writes to: the
 * lifeline. When the failsafe dies, even by SIGKILL, the kernel closes it, the child reads end of
 * file and exits. Each child's stdout and stderr go to var/log/NAME.log.
 *
 * It is a small C program, not a JVM, because it only starts two processes and waits: a JVM would
 * cost some 38 MB of resident memory on every node for that, a quarter of MCP's footprint.
 * Alerts are handed to PROGRAM (bin/mcp gives a one-shot JVM that runs the operator's alert
 * command from cluster.xml), the event's JSON line on its stdin.
 *
 * --timescale N runs the restart and alert clock N times faster (tests): "next start in 4 s" then
 * comes after 4/N s. The stop and orphan grace periods are real time whatever N is.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_ALREADY_RUNNING 3
#define EXIT_CONFIG 78 /* Daemon.EXIT_CONFIG: a child cannot start as configured */

#define SECOND 1000LL /* the clocks count milliseconds */
#define MINUTE (60 * SECOND)
/* RestartSpec's defaults, as for a service. */
static const long long BACKOFF_INITIAL = 1 * SECOND;
static const long long BACKOFF_MAX = 256 * SECOND;
static const long long RESET_AFTER = 10 * SECOND;
static const long long CHECK_PERIOD = 10 * SECOND;
static const long long ALERTS_AFTER[] = {10 * MINUTE, 30 * MINUTE};
/* Real time: a previous failsafe's child follows its lifeline within 2 s; a child stops within 5. */
static const long long ORPHAN_GRACE = 2 * SECOND;
static const long long STOP_GRACE = 5 * SECOND;

enum state { STOPPED, RUNNING, BACKOFF, STOPPING };
static const char *const STATE_NAMES[] = {"stopped", "running", "backoff", "stopping"};

struct child {
    const char *name;
    char **argv;
    enum state state;
    pid_t pid;
    int lifeline; /* our end of the child's stdin, -1 when it is not running */
    int starts;   /* start attempts so far, failed ones included */
    long long due; /* in BACKOFF: when to start again */
    /* the restart policy (RestartPolicy's rules) */
    long long started_at;
    bool quick_restart_used;
    int failures;
    /* the failing spell, for alerts */
    long long failing_since; /* -1: not failing */
    char failing_since_text[40];
    char started_text[40];
    char last_failure[600];
    int alerts_raised;
};

static const char *root;
static char **alert_argv;
static struct child children[4];
static int child_count;
static long long timescale = 1;
static int signals_fd;

/* ---- time ---- */

static long long real_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* The clock restarts and alerts are measured by: real time, --timescale times faster. */
static long long now(void) {
    return real_ms() * timescale;
}

/* An ISO-8601 instant, as Java's Instant.toString() writes the other processes' events. */
static void iso_now(char *out, size_t size) {
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%06ldZ", t.tv_nsec / 1000);
}

/* ---- events ---- */

static void json_string(char *out, size_t size, size_t *at, const char *s) {
    for (; *s && *at + 8 < size; s++) {
        unsigned char c = (unsigned char) *s;
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        }
        if (esc) {
            *at += (size_t) snprintf(out + *at, size - *at, "%s", esc);
        } else if (c < 0x20) {
            *at += (size_t) snprintf(out + *at, size - *at, "\\u%04X", c);
        } else {
            out[(*at)++] = (char) c;
        }
    }
    out[*at] = '\0';
}

/* One event as a JSON line, fields in the order EventLog writes them. */
static size_t event_json(char *out, size_t size, const char *time, const char *level, const char *source,
        const char *kind, const char *message) {
    const char *names[] = {"time", "level", "source", "kind", "message"};
    const char *values[] = {time, level, source, kind, message};
    size_t at = 0;
    out[at++] = '{';
    for (int i = 0; i < 5; i++) {
        at += (size_t) snprintf(out + at, size - at, "%s\"%s\":\"", i ? "," : "", names[i]);
        json_string(out, size - 3, &at, values[i]);
        out[at++] = '"';
    }
    out[at++] = '}';
    out[at++] = '\n';
    out[at] = '\0';
    return at;
}

static void log_line(const char *level, const char *fmt, ...) {
    char stamp[40];
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    localtime_r(&t.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    char text[1200];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    fprintf(stderr, "%s.%03ld %s mcp-failsafe: %s\n", stamp, t.tv_nsec / 1000000, level, text);
}

static void deliver_alert(const char *json, size_t length);

/*
 * In a child just forked: runs ARGV in the node's root with IN as its stdin and OUT (unless -1)
 * as its stdout and stderr, with the signal mask and dispositions a program expects. Returns
 * only if it could not (errno says why).
 */
static void exec_in_root(char **argv, int in, int out) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in, 0);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    if (chdir(root) == 0) {
        execvp(argv[0], argv);
    }
}

/*
 * Appends one event to var/log/events.jsonl in one write in append mode, so that lines of the
 * MCP processes writing the same file never interleave. Alerts also go to the alert program.
 */
static void event(const char *level, const char *source, const char *kind, const char *fmt, ...) {
    char message[1000], time[40], json[4096], path[PATH_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    iso_now(time, sizeof time);
    size_t length = event_json(json, sizeof json, time, level, source, kind, message);
    log_line(strcmp(level, "info") == 0 ? "INFO" : "WARNING", "%s %s: %s", source, kind, message);
    snprintf(path, sizeof path, "%s/var/log/events.jsonl", root);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, json, length) != (ssize_t) length) {
        log_line("WARNING", "cannot write event to %s: %s", path, strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    if (strcmp(level, "alert") == 0) {
        deliver_alert(json, length);
    }
}

/* Runs the alert program with the alert on its stdin; not waited for (reaped with the others). */
static void deliver_alert(const char *json, size_t length) {
    if (!alert_argv) {
        return;
    }
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        log_line("WARNING", "alert not passed on: pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        exec_in_root(alert_argv, in[0], -1);
        fprintf(stderr, "mcp-failsafe: cannot run %s: %s\n", alert_argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    if (pid < 0) {
        log_line("WARNING", "alert not passed on: fork: %s", strerror(errno));
    } else if (write(in[1], json, length) < 0) {
        log_line("WARNING", "alert not passed on: %s", strerror(errno)); /* it exited before reading */
    }
    close(in[1]);
}

/* The one place a child's state changes: one event, "old -> new (reason)". */
static void transition(struct child *c, enum state to, const char *kind, const char *reason) {
    const char *level = to == BACKOFF || strcmp(kind, "config-error") == 0 ? "warning" : "info";
    enum state from = c->state;
    c->state = to;
    event(level, c->name, kind, "%s -> %s (%s)", STATE_NAMES[from], STATE_NAMES[to], reason);
}

/* ---- processes ---- */

/* Reads a small file whole, NUL-terminated; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
    if (fd >= 0) {
        close(fd);
    }
    if (n >= 0) {
        buf[n] = '\0';
    }
    return n;
}

/* The start time (clock ticks since boot) of a live process, or -1 if there is none (or a zombie). */
static long long start_time(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    if (read_small(path, buf, sizeof buf) <= 0) {
        return -1;
    }
    char *p = strrchr(buf, ')'); /* the name may hold anything, even ") " */
    char state;
    long long ticks;
    if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %lld",
                &state, &ticks) != 2 || state == 'Z' || state == 'X') {
        return -1;
    }
    return ticks;
}

/* Whether the process's name or command line says it is MCP's process NAME. */
static bool is_named(pid_t pid, const char *name, char *argv0, size_t size) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n <= 0) {
        return false;
    }
    const char *base = strrchr(buf, '/');
    snprintf(argv0, size, "%.*s", (int) size - 1, base ? base + 1 : buf);
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\0') {
            buf[i] = ' ';
        }
    }
    if (strstr(buf, name)) {
        return true;
    }
    snprintf(path, sizeof path, "/proc/%d/comm", (int) pid);
    if (read_small(path, buf, sizeof buf) <= 0) {
        return false;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, name) == 0;
}

static pid_t read_pid_file(const char *name) {
    char path[PATH_MAX], buf[32];
    snprintf(path, sizeof path, "%s/var/run/%s.pid", root, name);
    if (read_small(path, buf, sizeof buf) <= 0) {
        return -1;
    }
    char *end;
    long pid = strtol(buf, &end, 10);
    return pid > 0 && pid < INT_MAX && (*end == '\n' || *end == '\0') ? (pid_t) pid : -1;
}

/* Waits up to MS of real time for PID (started at STARTED) to be gone. */
static bool await_gone(pid_t pid, long long started, long long ms) {
    long long deadline = real_ms() + ms;
    while (start_time(pid) == started) { /* the same process, not a reused PID */
        if (real_ms() > deadline) {
            return false;
        }
        struct timespec t = {0, 20 * 1000000};
        nanosleep(&t, NULL);
    }
    return true;
}

/*
 * A child of a previous failsafe may still be on its way out (its lifeline closed, it has 2 s).
 * Wait for it, then kill it: two masters must never run at once.
 */
static void await_orphan_gone(struct child *c) {
    pid_t pid = read_pid_file(c->name);
    char argv0[256];
    long long started;
    if (pid <= 0 || pid == getpid() || (started = start_time(pid)) < 0 || !is_named(pid, c->name, argv0, sizeof argv0)
            || await_gone(pid, started, ORPHAN_GRACE)) {
        return;
    }
    if (kill(pid, SIGKILL) < 0) {
        log_line("WARNING", "%s: cannot kill pid %d: %s", c->name, (int) pid, strerror(errno));
    }
    event("warning", c->name, "orphan-killed",
            "pid %d (%s) of a previous mcp-failsafe was still running after %lld s: sent SIGKILL", (int) pid, argv0,
            ORPHAN_GRACE / SECOND);
    await_gone(pid, started, ORPHAN_GRACE);
}

/* The last line a child wrote to its log (why it exited, usually), after ": "; or nothing. */
static void last_words(const char *name, char *out, size_t size) {
    char path[PATH_MAX], buf[8192];
    out[0] = '\0';
    snprintf(path, sizeof path, "%s/var/log/%s.log", root, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t) sizeof buf - 1 ? end - (off_t) sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0) {
        return;
    }
    buf[n] = '\0';
    /* the last of the last five lines that is not blank */
    char *line_end = buf + n;
    for (int lines = 0; lines < 5 && line_end > buf; lines++) {
        char *start = line_end;
        while (start > buf && start[-1] != '\n') {
            start--;
        }
        char *a = start, *b = line_end;
        while (a < b && (unsigned char) *a <= ' ') {
            a++;
        }
        while (b > a && (unsigned char) b[-1] <= ' ') {
            b--;
        }
        if (b > a) {
            int length = (int) (b - a);
            if (length > 300) {
                length = 300;
                while (length > 0 && ((unsigned char) a[length] & 0xC0) == 0x80) {
                    length--; /* not inside a UTF-8 character */
                }
            }
            snprintf(out, size, ": %.*s%s", length, a, length < (int) (b - a) ? "..." : "");
            return;
        }
        line_end = start > buf ? start - 1 : buf;
    }
}

/* ---- the restart policy (RestartPolicy) ---- */

static long long backoff_delay(const struct child *c) {
    long long d = BACKOFF_INITIAL;
    for (int i = 1; i < c->failures && d < BACKOFF_MAX; i++) {
        d *= 2;
    }
    return d > BACKOFF_MAX ? BACKOFF_MAX : d;
}

static void launch(struct child *c);

static void back_off(struct child *c, long long delay, const char *reason, const char *kind) {
    if (c->failing_since < 0) {
        c->failing_since = now();
        iso_now(c->failing_since_text, sizeof c->failing_since_text);
    }
    snprintf(c->last_failure, sizeof c->last_failure, "%s", reason);
    char text[800];
    if (delay == 0) {
        snprintf(text, sizeof text, "%s; restarting now", reason);
    } else {
        snprintf(text, sizeof text, "%s; next start in %lld s", reason, delay / SECOND);
    }
    transition(c, BACKOFF, kind, text);
    if (delay == 0) {
        launch(c);
    } else {
        c->due = now() + delay;
    }
}

/* A failing spell ends when the child has stayed up for the reset window. */
static void end_failing_if_stable(struct child *c, long long at) {
    if (c->failing_since >= 0 && c->state == RUNNING && at >= c->started_at + RESET_AFTER) {
        if (c->alerts_raised > 0) {
            event("info", c->name, "recovered", "up since %s after failing since %s", c->started_text,
                    c->failing_since_text);
        }
        c->failing_since = -1;
        c->alerts_raised = 0;
    }
}

/* Starts the child's process; false when it could not be started (then it is backing off). */
static bool spawn(struct child *c) {
    c->starts++;
    await_orphan_gone(c);
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%s/var/log/%s.log", root, c->name);
    int lifeline[2] = {-1, -1}, report[2] = {-1, -1};
    int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int error = out < 0 ? errno : 0;
    if (!error && (pipe2(lifeline, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)) {
        error = errno;
    }
    pid_t pid = -1;
    if (!error) {
        pid = fork();
        if (pid == 0) {
            exec_in_root(c->argv, lifeline[0], out);
            int e = errno;
            ssize_t ignored = write(report[1], &e, sizeof e);
            (void) ignored;
            _exit(127);
        }
        if (pid < 0) {
            error = errno;
        } else {
            close(report[1]);
            report[1] = -1;
            int e;
            /* end of file: it exec'd; an errno: it could not */
            if (read(report[0], &e, sizeof e) == (ssize_t) sizeof e) {
                error = e;
                waitpid(pid, NULL, 0);
            }
        }
    }
    int *ours[] = {&out, &lifeline[0], &report[0], &report[1], error ? &lifeline[1] : NULL};
    for (size_t k = 0; k < sizeof ours / sizeof ours[0]; k++) {
        if (ours[k] && *ours[k] >= 0) {
            close(*ours[k]);
        }
    }
    if (error) {
        c->failures++;
        char reason[600];
        snprintf(reason, sizeof reason, "cannot start: cannot run %s: %s", c->argv[0], strerror(error));
        back_off(c, backoff_delay(c), reason, "start-failed");
        return false;
    }
    c->pid = pid;
    c->lifeline = lifeline[1];
    return true;
}

/* The child's process runs: from now on its exit is watched. */
static void started(struct child *c) {
    c->started_at = now();
    iso_now(c->started_text, sizeof c->started_text);
    char reason[32];
    snprintf(reason, sizeof reason, "pid %d", (int) c->pid);
    transition(c, RUNNING, "started", reason);
}

static void launch(struct child *c) {
    if (spawn(c)) {
        started(c);
    }
}

static void stop_all(void);

static void exited(struct child *c, int status) {
    close(c->lifeline);
    c->lifeline = -1;
    c->pid = 0;
    char why[700], words[400] = "";
    if (status > 0 && status < 128) {
        last_words(c->name, words, sizeof words);
    }
    snprintf(why, sizeof why, "exited with status %d%s", status, words);
    if (status == EXIT_CONFIG && c->starts == 1) {
        /* A file is wrong, and the operator who just started the agent is there to fix it. Later
           on, services run: retrying (and alerting) until the file is fixed is better. */
        transition(c, STOPPED, "config-error", why);
        stop_all();
        fprintf(stderr, "mcp: %s cannot start: %s\n", c->name, why);
        exit(EXIT_CONFIG);
    }
    long long at = now();
    end_failing_if_stable(c, at);
    /* RestartPolicy.exited: at once after a stable run or the first time, else the backoff */
    if (at - c->started_at >= RESET_AFTER) {
        c->failures = 0;
        c->quick_restart_used = false;
    }
    if (!c->quick_restart_used) {
        c->quick_restart_used = true;
        back_off(c, 0, why, "exited");
        return;
    }
    c->failures++;
    char reason[800];
    snprintf(reason, sizeof reason, "%s (again within %lld s)", why, RESET_AFTER / SECOND);
    back_off(c, backoff_delay(c), reason, "exited");
}

/* Reaps every child that has exited: ours, and alert programs, which nobody waits for. */
static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < child_count; i++) {
            if (children[i].pid == pid && children[i].state == RUNNING) {
                exited(&children[i], WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            }
        }
    }
}

/* Drains the signal descriptor; true if SIGTERM or SIGINT was among the signals. */
static bool read_signals(void) {
    struct signalfd_siginfo info;
    bool stop = false;
    while (read(signals_fd, &info, sizeof info) == (ssize_t) sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
            stop = true;
        }
    }
    return stop;
}

/* Waits up to MS of real time for the child to exit; its status, or -1 if it is still there. */
static int wait_exit(struct child *c, long long ms) {
    long long deadline = real_ms() + ms;
    for (;;) {
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        long long left = deadline - real_ms();
        if (left <= 0) {
            return -1;
        }
        struct pollfd p = {signals_fd, POLLIN, 0};
        if (poll(&p, 1, (int) (left < 50 ? left : 50)) > 0) {
            read_signals(); /* a second SIGTERM changes nothing: the stop is under way */
        }
    }
}

static void stop_child(struct child *c) {
    if (c->state == BACKOFF) {
        transition(c, STOPPED, "stopped", "stop requested");
    }
    if (c->state != RUNNING) {
        return;
    }
    char reason[64], how[64];
    snprintf(reason, sizeof reason, "sending SIGTERM to pid %d", (int) c->pid);
    transition(c, STOPPING, "stopping", reason);
    /* Only SIGTERM: the lifeline stays open until the child is gone, so that it takes this for an
       orderly stop and not for a failsafe that died. */
    kill(c->pid, SIGTERM);
    int status = wait_exit(c, STOP_GRACE);
    if (status >= 0) {
        snprintf(how, sizeof how, "exited with status %d", status);
    } else {
        kill(c->pid, SIGKILL);
        wait_exit(c, STOP_GRACE);
        snprintf(how, sizeof how, "killed with SIGKILL after %lld s", STOP_GRACE / SECOND);
    }
    close(c->lifeline);
    c->lifeline = -1;
    c->pid = 0;
    transition(c, STOPPED, "stopped", how);
}

/* Stops the children in reverse order. */
static void stop_all(void) {
    for (int i = child_count - 1; i >= 0; i--) {
        stop_child(&children[i]);
    }
}

/* Raises each alert once per failing spell. */
static void check(void) {
    long long at = now();
    for (int i = 0; i < child_count; i++) {
        struct child *c = &children[i];
        end_failing_if_stable(c, at);
        if (c->failing_since >= 0 && c->alerts_raised < 2 && at >= c->failing_since + ALERTS_AFTER[c->alerts_raised]) {
            c->alerts_raised++;
            event("alert", c->name, "failing", "failing for %lld minutes; last: %s", (at - c->failing_since) / MINUTE,
                    c->last_failure);
        }
    }
}

/* ---- start-up ---- */

static void mkdirs(const char *dir) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    mkdir(path, 0755);
}

static char pid_file[PATH_MAX];

static void remove_pid_file(void) {
    if (read_pid_file("mcp-failsafe") == getpid()) {
        unlink(pid_file);
    }
}

static int write_pid_file(void) {
    char tmp[PATH_MAX + 16], text[32];
    snprintf(pid_file, sizeof pid_file, "%s/var/run/mcp-failsafe.pid", root);
    snprintf(tmp, sizeof tmp, "%s/var/run/.mcp-failsafe.pid.tmp", root);
    int length = snprintf(text, sizeof text, "%d\n", (int) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t) length) != length || close(fd) < 0 || rename(tmp, pid_file) < 0) {
        fprintf(stderr, "mcp: cannot write %s: %s\n", pid_file, strerror(errno));
        return -1;
    }
    atexit(remove_pid_file);
    return 0;
}

/*
 * Closes every descriptor we were started with besides 0-2 (bin/mcp's spec pipe, say), so that
 * the children do not inherit them either: ours are all opened close-on-exec.
 */
static void close_inherited_descriptors(void) {
    DIR *fds = opendir("/proc/self/fd");
    if (!fds) {
        return;
    }
    int open_fds[256], count = 0;
    struct dirent *e;
    while ((e = readdir(fds)) != NULL && count < 256) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(fds)) {
            open_fds[count++] = fd;
        }
    }
    closedir(fds);
    for (int i = 0; i < count; i++) {
        close(open_fds[i]);
    }
}

static int usage(const char *why) {
    fprintf(stderr, "mcp-failsafe: %s\n"
            "usage: mcp-failsafe [--timescale N] --spec FILE ROOT\n"
            "FILE: --alert PROGRAM ARG... --child NAME PROGRAM ARG... (more --child), each word ended by a NUL byte;\n"
            "bin/mcp up writes it\n", why);
    return EXIT_USAGE;
}

/*
 * Reads the spec: the children's and the alert program's command lines. They come from a file
 * (bin/mcp passes a pipe) rather than our own arguments, so that our command line does not
 * contain "mcp-master", which `pgrep -f mcp-master` and PID checks would take for the master.
 */
static int read_spec(const char *file) {
    FILE *f = fopen(file, "re");
    if (!f) {
        fprintf(stderr, "mcp-failsafe: cannot read %s: %s\n", file, strerror(errno));
        return EXIT_USAGE;
    }
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    size_t n;
    while (text && (n = fread(text + size, 1, capacity - size, f)) > 0) {
        size += n;
        if (size == capacity) {
            capacity *= 2;
            text = realloc(text, capacity);
        }
    }
    fclose(f);
    if (!text) {
        return usage("out of memory");
    }
    char **words = calloc(size + 1, sizeof *words);
    if (!words) {
        return usage("out of memory");
    }
    int count = 0;
    for (size_t at = 0; at < size; at += strlen(text + at) + 1) {
        if (memchr(text + at, '\0', size - at) == NULL) {
            return usage("the spec's last word is not ended by a NUL byte");
        }
        words[count++] = text + at;
    }
    /* the groups: --alert PROGRAM ARG..., --child NAME PROGRAM ARG... */
    for (int i = 0; i < count;) {
        bool is_child = strcmp(words[i], "--child") == 0;
        if (!is_child && strcmp(words[i], "--alert") != 0) {
            return usage("the spec must be groups that start with --child or --alert");
        }
        words[i++] = NULL; /* ends the previous group's argument list */
        if (is_child) {
            if (child_count == (int) (sizeof children / sizeof children[0])) {
                return usage("too many children");
            }
            if (i + 1 >= count || strcmp(words[i + 1], "--child") == 0 || strcmp(words[i + 1], "--alert") == 0) {
                return usage("--child needs a name and a program");
            }
            struct child *c = &children[child_count++];
            c->name = words[i++];
            c->argv = &words[i];
            c->lifeline = -1;
            c->failing_since = -1;
        } else {
            if (i >= count) {
                return usage("--alert needs a program");
            }
            alert_argv = &words[i];
        }
        while (i < count && strcmp(words[i], "--child") != 0 && strcmp(words[i], "--alert") != 0) {
            i++;
        }
    }
    return child_count == 0 ? usage("the spec names no --child") : 0;
}

int main(int argc, char **argv) {
    int i = 1;
    const char *spec = NULL;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--timescale") == 0) {
            timescale = atoll(argv[i + 1]);
            if (timescale < 1) {
                return usage("--timescale needs a positive number");
            }
        } else if (strcmp(argv[i], "--spec") == 0) {
            spec = argv[i + 1];
        } else {
            return usage("unknown option");
        }
    }
    if (!spec || i + 1 != argc || argv[i][0] != '/') {
        return usage("expected --spec FILE and the node's root, an absolute path");
    }
    root = argv[i];
    int bad = read_spec(spec);
    if (bad) {
        return bad;
    }
    close_inherited_descriptors();

    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/var/run", root);
    mkdirs(dir);
    snprintf(dir, sizeof dir, "%s/var/log", root);
    mkdirs(dir);
    pid_t other = read_pid_file("mcp-failsafe");
    char argv0[256];
    if (other > 0 && other != getpid() && start_time(other) >= 0 && is_named(other, "mcp-failsafe", argv0, sizeof argv0)) {
        fprintf(stderr, "mcp: mcp-failsafe is already running for %s as pid %d\n", root, (int) other);
        return EXIT_ALREADY_RUNNING;
    }

    /* Signals arrive through a descriptor, handled in the loop below, never in a handler. They
       are blocked before the PID file exists, so that no SIGTERM finds them unhandled. */
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigprocmask(SIG_BLOCK, &handled, NULL);
    signal(SIGPIPE, SIG_IGN); /* an alert program that does not read its stdin */
    signals_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signals_fd < 0) {
        fprintf(stderr, "mcp: signalfd: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    if (write_pid_file() < 0) {
        return EXIT_FAILED;
    }

    /* Every process first, then the events of each: the master does not wait for the forker's. */
    bool up[sizeof children / sizeof children[0]];
    for (i = 0; i < child_count; i++) {
        up[i] = spawn(&children[i]);
    }
    for (i = 0; i < child_count; i++) {
        if (up[i]) {
            started(&children[i]);
        }
    }

    reap(); /* whatever exited before SIGCHLD was blocked, such as bin/mcp's spec writer */

    long long next_check = now() + CHECK_PERIOD;
    for (;;) {
        long long at = now(), wake = next_check;
        for (i = 0; i < child_count; i++) {
            if (children[i].state == BACKOFF && children[i].due < wake) {
                wake = children[i].due;
            }
        }
        long long wait = wake > at ? (wake - at + timescale - 1) / timescale : 0;
        struct pollfd p = {signals_fd, POLLIN, 0};
        if (poll(&p, 1, wait > 60000 ? 60000 : (int) wait) > 0 && read_signals()) {
            stop_all();
            return 0; /* the PID file goes at exit */
        }
        reap();
        at = now();
        for (i = 0; i < child_count; i++) {
            if (children[i].state == BACKOFF && children[i].due <= at) {
                launch(&children[i]);
            }
        }
        if (at >= next_check) {
            check();
            next_check = at + CHECK_PERIOD;
        }
    }
}
