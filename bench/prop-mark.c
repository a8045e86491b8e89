/*
 * prop-mark MARKS FILE: the change action of the benchmark's propagation part. Appends one line
 * "CLOCK_MONOTONIC-ns pid first-line-of-FILE" to MARKS, in one write, and exits. The harness
 * matches the line to its write by FILE's first line, and takes the action's start from the
 * kernel's exec event of that pid (netlink) when it has it, else from the time written here.
 *
 * Built static and without the C library (gcc -nostdlib, raw system calls, x86_64 and arm64):
 * a static glibc program reads the processor's cache geometry with CPUID at start-up, and in a
 * virtual machine every CPUID traps to the hypervisor. Measured on the machine of the README's
 * run: 0.63 ms of CPU per run with glibc, 0.02 ms without. The three nodes' actions run on the
 * two cores the nodes share, in the very milliseconds measured; on a real cluster each node's
 * action runs on its own machine.
 */
#if defined(__x86_64__)
#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_CLOSE 3
#define SYS_GETPID 39
#define SYS_EXIT 60
#define SYS_CLOCK_GETTIME 228
#define SYS_OPENAT 257
#elif defined(__aarch64__)
#define SYS_CLOSE 57
#define SYS_READ 63
#define SYS_WRITE 64
#define SYS_EXIT 93
#define SYS_CLOCK_GETTIME 113
#define SYS_GETPID 172
#define SYS_OPENAT 56
#else
#error "prop-mark makes its system calls itself: x86_64 and aarch64 only"
#endif

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 01
#define O_CREAT 0100
#define O_APPEND 02000
#define CLOCK_MONOTONIC 1

static long sys(long n, long a, long b, long c, long d)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#endif
}

/* Writes the decimal digits of v at p; returns the end. */
static char *decimal(char *p, unsigned long long v)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

static int mark(int argc, char **argv)
{
    struct {
        long sec, nsec;
    } ts;
    sys(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC, (long)&ts, 0, 0);
    if (argc < 3)
        return 2;
    char first[128];
    long n = 0;
    long fd = sys(SYS_OPENAT, AT_FDCWD, (long)argv[2], O_RDONLY, 0);
    if (fd >= 0) {
        n = sys(SYS_READ, fd, (long)first, sizeof first - 1, 0);
        sys(SYS_CLOSE, fd, 0, 0, 0);
        if (n < 0)
            n = 0;
    }
    char line[256];
    char *p = decimal(line, (unsigned long long)ts.sec * 1000000000ULL + (unsigned long long)ts.nsec);
    *p++ = ' ';
    p = decimal(p, (unsigned long long)sys(SYS_GETPID, 0, 0, 0, 0));
    *p++ = ' ';
    for (long i = 0; i < n && first[i] != '\n'; i++)
        *p++ = first[i];
    *p++ = '\n';
    long out = sys(SYS_OPENAT, AT_FDCWD, (long)argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0)
        return 1;
    sys(SYS_WRITE, out, (long)line, p - line, 0);
    sys(SYS_CLOSE, out, 0, 0, 0);
    return 0;
}

/* The kernel's entry point: argc, then argv, on the stack. */
__attribute__((used)) static void start(long *sp)
{
    sys(SYS_EXIT, mark((int)sp[0], (char **)(sp + 1)), 0, 0, 0);
}

#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");
#else
__asm__(".globl _start\n_start:\n  mov x0, sp\n  bl start\n  brk #0\n");
#endif
