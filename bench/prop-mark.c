/*
 * prop-mark MARKS FILE: the change action of the benchmark's propagation part. Appends one line
 * "CLOCK_MONOTONIC-ns pid first-line-of-FILE" to MARKS, in one write, and exits. The harness
 * matches the line to its write by FILE's first line, and takes the action's start from the
 * kernel's exec event of that pid (netlink) when it has it, else from the time written here.
 * Built static, like bench-svc, so that its exec costs the same every time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (argc < 3)
        return 2;
    char first[128] = "";
    int fd = open(argv[2], O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, first, sizeof first - 1);
        close(fd);
        first[n > 0 ? n : 0] = 0;
        char *nl = strchr(first, '\n');
        if (nl)
            *nl = 0;
    }
    char line[256];
    int len = snprintf(line, sizeof line, "%lld %d %s\n",
                       (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid(), first);
    int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0)
        return 1;
    if (len > (int)sizeof line - 1)
        len = sizeof line - 1;
    write(out, line, len);
    close(out);
    return 0;
}
