package io.mcp.core.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Passes records of level INFO and below to the handler it wraps in batches, every
 * {@link #PERIOD_MS} on its own thread; a WARNING or worse at once, after those waiting, so the
 * order is kept. A record keeps the time it was logged at, whenever it is written.
 *
 * <p>Why: a master logs a line for every override written from the cluster and every change
 * action it sends, on the thread that does that work, right when the forker and the other
 * nodes need the cores. While records keep coming, the thread wakes on its period rather than
 * at the first record of a batch, since waking it then would cost that same moment a switch to
 * it. After {@link #IDLE_PASSES} passes with nothing to write it sleeps until a record comes,
 * so that an idle daemon does not wake ten times a second.
 */
public final class BatchedHandler extends Handler {
    private static final long PERIOD_MS = 100;
    private static final int IDLE_PASSES = 50;

    private final Handler out;
    private final long periodNanos;
    private final List<LogRecord> waiting = new ArrayList<>(); // guarded by this
    private final Thread writer;
    private volatile boolean asleep;
    private volatile boolean closed;

    public BatchedHandler(Handler out) {
        this(out, PERIOD_MS);
    }

    BatchedHandler(Handler out, long periodMs) {
        this.out = out;
        this.periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs);
        setLevel(out.getLevel());
        writer = new Thread(this::writeLoop, "log-writer");
        writer.setDaemon(true);
        writer.start();
    }

    private void writeLoop() {
        int idle = 0;
        while (!closed) {
            if (idle < IDLE_PASSES) {
                LockSupport.parkNanos(this, periodNanos);
            } else {
                // The flag first, then the look at the queue: a record added meanwhile either is
                // seen here or sees the flag and wakes this thread.
                asleep = true;
                if (isEmpty()) {
                    LockSupport.park(this);
                }
                asleep = false;
                idle = 0;
                continue; // a batch starts: written a period from now
            }
            idle = writeWaiting() ? 0 : idle + 1;
        }
    }

    /** For tests: WAITING once it sleeps until a record comes. */
    Thread.State writerState() {
        return writer.getState();
    }

    private synchronized boolean isEmpty() {
        return waiting.isEmpty();
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        if (record.getLevel().intValue() < Level.WARNING.intValue()) {
            synchronized (this) {
                waiting.add(record);
            }
            if (asleep) {
                LockSupport.unpark(writer);
            }
            return;
        }
        synchronized (this) {
            publishWaiting();
            out.publish(record);
        }
        out.flush();
    }

    @Override
    public void flush() {
        writeWaiting();
    }

    /** Whether there was anything to write. */
    private boolean writeWaiting() {
        synchronized (this) {
            if (waiting.isEmpty()) {
                return false;
            }
            publishWaiting();
        }
        out.flush();
        return true;
    }

    private void publishWaiting() {
        for (LogRecord r : waiting) {
            out.publish(r);
        }
        waiting.clear();
    }

    /**
     * Writes what is waiting (LogManager closes handlers at exit). The handler wrapped is left
     * open, as {@code ConsoleHandler} leaves standard error open.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        flush();
    }
}
