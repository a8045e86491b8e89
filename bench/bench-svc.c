/*
 * bench-svc: the service every supervisor in the benchmark runs. It does nothing but wait for a
 * signal, so what the benchmark measures is the supervisor, not the service. Built static so
 * that its exec costs the same under every supervisor (no dynamic loader), and named so that
 * its comm is "bench-svc".
 */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}
