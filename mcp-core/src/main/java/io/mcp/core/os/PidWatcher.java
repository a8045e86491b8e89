package io.mcp.core.os;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * Tells the moment a process exits, whether or not it is our child: one thread waits in
 * {@code poll(2)} on a pidfd per watched process (Linux 5.3+). {@code ProcessHandle.onExit()}
 * polls every 0.3 to 5 s for a process that is not the JVM's own child, far too slow to
 * restart a crashed service at once. Where pidfds are unavailable, it checks {@code /proc}
 * every 100 ms instead.
 */
public final class PidWatcher implements AutoCloseable {
    /** Cancels a watch; the callback will not run after this returns (unless already running). */
    public interface Watch {
        void cancel();
    }

    /** The part of libc the watcher calls, bound through jnr-ffi. */
    public interface LibC {
        @SaveError
        long syscall(long number, long arg1, long arg2);

        @SaveError
        int poll(Pointer fds, long nfds, int timeoutMillis);

        int close(int fd);

        @SaveError
        int pipe(int[] fds);

        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);
    }

    private static final Logger LOG = Logger.getLogger(PidWatcher.class.getName());
    /** pidfd_open is 434 on x86_64 and arm64 alike (the unified syscall table). */
    private static final long SYS_PIDFD_OPEN = 434;
    private static final short POLLIN = 0x1;
    private static final int FALLBACK_POLL_MS = 100;

    /** Bound by the watcher thread (a tenth of a second of jnr-ffi start-up off the caller's path); read after {@link #bound}. */
    private LibC libc;
    private Runtime runtime;
    private final java.util.concurrent.CompletableFuture<Void> bound = new java.util.concurrent.CompletableFuture<>();
    private final Os os;
    private final Map<Long, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final int[] wakeup = new int[2];
    private final Thread thread;
    private volatile boolean closed;

    private final class Entry implements Watch {
        final long id = ids.incrementAndGet();
        final long pid;
        final long startTime;
        final Runnable onExit;
        final int fd;
        volatile boolean cancelled;

        Entry(long pid, long startTime, Runnable onExit, int fd) {
            this.pid = pid;
            this.startTime = startTime;
            this.onExit = onExit;
            this.fd = fd;
        }

        @Override
        public void cancel() {
            cancelled = true;
            wake();
        }
    }

    public PidWatcher(Os os) {
        this.os = os;
        thread = new Thread(this::bindAndLoop, "pid-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void bindAndLoop() {
        try {
            libc = LibraryLoader.create(LibC.class).load("c");
            runtime = Runtime.getRuntime(libc);
            if (libc.pipe(wakeup) != 0) {
                throw new IllegalStateException("pipe() failed: errno " + runtime.getLastError());
            }
        } catch (RuntimeException | LinkageError e) {
            bound.completeExceptionally(e);
            return;
        }
        bound.complete(null);
        loop();
    }

    /** Waits until the watcher thread has bound libc; rethrows what it failed with. */
    private void awaitBound() {
        try {
            bound.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new IllegalStateException("pid watcher unavailable: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Calls {@code onExit} (on the watcher's thread: keep it short) once the process with this
     * PID and start time has exited; at once if it already has, or if the PID now names
     * another process.
     */
    public Watch watch(long pid, long startTime, Runnable onExit) {
        awaitBound();
        int fd = (int) libc.syscall(SYS_PIDFD_OPEN, pid, 0);
        if (fd < 0 && runtime.getLastError() == 3 /* ESRCH */) {
            onExit.run();
            return () -> { };
        }
        Entry e = new Entry(pid, startTime, onExit, fd);
        // The pidfd (if any) now pins this PID: check it still names the process we mean.
        if (!sameProcess(e)) {
            if (fd >= 0) {
                libc.close(fd);
            }
            onExit.run();
            return () -> { };
        }
        entries.put(e.id, e);
        wake();
        return e;
    }

    private boolean sameProcess(Entry e) {
        return os.inspect(e.pid).filter(ProcessInfo::alive).map(p -> p.startTime() == e.startTime).orElse(false);
    }

    private void wake() {
        Pointer one = Memory.allocateDirect(runtime, 1);
        libc.write(wakeup[1], one, 1);
    }

    private void loop() {
        Pointer drain = Memory.allocateDirect(runtime, 64);
        while (!closed) {
            List<Entry> polled = new ArrayList<>();
            boolean fallback = false;
            for (Entry e : entries.values()) {
                if (e.cancelled) {
                    remove(e);
                } else if (e.fd >= 0) {
                    polled.add(e);
                } else {
                    fallback = true;
                }
            }
            Pointer fds = Memory.allocateDirect(runtime, 8L * (polled.size() + 1));
            fds.putInt(0, wakeup[0]);
            fds.putShort(4, POLLIN);
            fds.putShort(6, (short) 0);
            for (int i = 0; i < polled.size(); i++) {
                fds.putInt(8L * (i + 1), polled.get(i).fd);
                fds.putShort(8L * (i + 1) + 4, POLLIN);
                fds.putShort(8L * (i + 1) + 6, (short) 0);
            }
            int n = libc.poll(fds, polled.size() + 1, fallback ? FALLBACK_POLL_MS : -1);
            if (closed) {
                break;
            }
            if (n < 0) {
                continue; // EINTR
            }
            if (fds.getShort(6) != 0) {
                libc.read(wakeup[0], drain, 64);
            }
            for (int i = 0; i < polled.size(); i++) {
                if (fds.getShort(8L * (i + 1) + 6) != 0) {
                    fire(polled.get(i));
                }
            }
            if (fallback) {
                for (Entry e : entries.values()) {
                    if (e.fd < 0 && !e.cancelled && !sameProcess(e)) {
                        fire(e);
                    }
                }
            }
        }
        entries.values().forEach(this::remove);
    }

    private void fire(Entry e) {
        remove(e);
        if (e.cancelled) {
            return;
        }
        try {
            e.onExit.run();
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "exit callback for pid " + e.pid + " failed", ex);
        }
    }

    private void remove(Entry e) {
        if (entries.remove(e.id) != null && e.fd >= 0) {
            libc.close(e.fd);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bound.isCompletedExceptionally()) {
            return;
        }
        awaitBound();
        wake();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        libc.close(wakeup[0]);
        libc.close(wakeup[1]);
    }
}
