package io.mcp.forker;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import jnr.constants.platform.Errno;

/**
 * Collects the exit status of every child of this JVM: one thread blocked in
 * {@code waitpid(-1, &status, 0)}, which completes the future of the PID it reaps, so no child is
 * left a zombie and a waiting action learns of its exit at once.
 *
 * <p>{@code waitpid(-1)} takes any child, so there is one reaper per JVM, and nothing else in that
 * JVM may start children another way: {@code ProcessBuilder}'s own reaper and this one would take
 * each other's statuses.
 */
final class Reaper {
    private static final class Holder {
        static final Reaper INSTANCE = new Reaper();
    }

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled at each spawn, for a reaper that found no child to wait for. */
    private final Condition spawned = lock.newCondition();
    private final Map<Long, CompletableFuture<ExitStatus>> waiting = new HashMap<>();
    /** Statuses of children reaped before their spawner registered them (a child can exit that fast). */
    private final Map<Long, ExitStatus> unclaimed = new HashMap<>();
    private long registrations;

    private Reaper() {
        Thread t = new Thread(this::reapForever, "mcp-forker-reaper");
        t.setDaemon(true);
        t.start();
    }

    static Reaper instance() {
        return Holder.INSTANCE;
    }

    /**
     * Called right after a child is spawned. The future completes in the reaper thread: callers
     * must not attach blocking callbacks to it.
     */
    CompletableFuture<ExitStatus> register(long pid) {
        lock.lock();
        try {
            registrations++;
            spawned.signal();
            ExitStatus early = unclaimed.remove(pid);
            if (early != null) {
                return CompletableFuture.completedFuture(early);
            }
            CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
            waiting.put(pid, exit);
            return exit;
        } finally {
            lock.unlock();
        }
    }

    private void reapForever() {
        int[] status = new int[1];
        while (true) {
            long seen = registrationsSoFar();
            long pid = ForkerLibc.LIBC.waitpid(-1, status, 0);
            if (pid > 0) {
                exited(pid, ExitStatus.decode(status[0]));
            } else if (ForkerLibc.errno() == Errno.ECHILD.intValue()) {
                // No children: sleep until a spawn registers one. Comparing counts catches a
                // spawn made since we looked. Any other error (EINTR) is simply retried.
                awaitRegistrationAfter(seen);
            }
        }
    }

    private long registrationsSoFar() {
        lock.lock();
        try {
            return registrations;
        } finally {
            lock.unlock();
        }
    }

    private void awaitRegistrationAfter(long seen) {
        lock.lock();
        try {
            while (registrations == seen) {
                // Nothing interrupts this daemon thread, and it must never stop reaping.
                spawned.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Hands a reaped status to whoever registered the PID, or keeps it until they do. */
    void exited(long pid, ExitStatus status) {
        CompletableFuture<ExitStatus> exit;
        lock.lock();
        try {
            exit = waiting.remove(pid);
            if (exit == null) {
                unclaimed.put(pid, status);
                return;
            }
        } finally {
            lock.unlock();
        }
        exit.complete(status);
    }
}
