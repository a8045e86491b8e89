package io.mcp.forker;

import io.mcp.core.os.Os;
import io.mcp.core.proto.ForkerReply;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code run} operation: runs action lines one after another, each in a new session (its
 * program itself when the line is plain, else {@code /bin/sh -c LINE}), stops at the first that
 * does not exit 0, and reports how the last one ended with the tail of what the request wrote to
 * the log.
 */
final class ActionRunner {
    /** How much of the output comes back in {@link ForkerReply#outputTail()}. */
    static final int TAIL_BYTES = 4096;
    /** What sh exits with when it cannot find or execute the command. */
    private static final int SH_CANNOT_EXEC = 127;

    private final Spawner spawner;
    private final Os os;

    ActionRunner(Spawner spawner, Os os) {
        this.spawner = spawner;
        this.os = os;
    }

    /** @param timeoutMillis per action; 0 for none */
    ForkerReply run(List<String> actions, ShellCommand shell, Path log, long timeoutMillis) throws InterruptedException {
        long started = System.nanoTime();
        // Only what this request appends is reported, not what was in the log before.
        long logStart = sizeOf(log);
        ExitStatus last = null;
        for (String line : actions) {
            Spawner.Child child;
            try {
                child = shell.start(spawner, line, false, log);
            } catch (SpawnException e) {
                return new ForkerReply(false, null, null, e.execFailed(), false, millisSince(started), line,
                        tail(log, logStart), null, e.getMessage());
            }
            last = await(child.exit(), timeoutMillis);
            boolean timedOut = last == null;
            if (timedOut) {
                // pgid == pid thanks to setsid: this also takes whatever the action started in
                // the background, which would otherwise outlive its timeout.
                os.killGroup(child.pid(), Os.SIGKILL);
                last = await(child.exit(), 0);
            }
            if (!last.success()) {
                boolean execFailed = last.code() != null && last.code() == SH_CANNOT_EXEC;
                return new ForkerReply(false, last.code(), last.signal(), execFailed, timedOut, millisSince(started),
                        line, tail(log, logStart), null, null);
            }
        }
        return new ForkerReply(true, last == null ? null : last.code(), null, false, false, millisSince(started), null,
                tail(log, logStart), null, null);
    }

    /** The exit, or null once {@code timeoutMillis} (if not 0) has passed. */
    private static ExitStatus await(CompletableFuture<ExitStatus> exit, long timeoutMillis) throws InterruptedException {
        try {
            return timeoutMillis > 0 ? exit.get(timeoutMillis, TimeUnit.MILLISECONDS) : exit.get();
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the reaper never fails an exit", e);
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static long sizeOf(Path log) {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0; // not created yet: everything in it will be ours
        }
    }

    /** The last {@link #TAIL_BYTES} written to {@code log} since offset {@code from}. */
    private static String tail(Path log, long from) {
        try (FileChannel ch = FileChannel.open(log)) {
            long end = ch.size();
            // min() copes with a log truncated meanwhile (rotation): then nothing is ours to report.
            long start = Math.max(Math.min(from, end), end - TAIL_BYTES);
            ByteBuffer buf = ByteBuffer.allocate((int) (end - start));
            while (buf.hasRemaining() && ch.read(buf, start + buf.position()) > 0) {
                // read until full: a positional read may return less than asked
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
