package io.mcp.core.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.testing.Await;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchedHandlerTest {
    private static final long NEVER_MS = TimeUnit.HOURS.toMillis(1);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream() {
        @Override
        public void close() {
            closed = true;
        }
    };
    private boolean closed;
    private final StreamHandler out = new StreamHandler(bytes, new LogLine(ZoneOffset.UTC));
    private BatchedHandler handler;

    @AfterEach
    void close() {
        if (handler != null) {
            handler.close();
        }
    }

    @Test
    void routineRecordsWaitForTheNextBatchAndKeepTheirOrderAndTheTimeTheyWereLoggedAt() {
        handler = new BatchedHandler(out, NEVER_MS);
        LogRecord first = record(Level.INFO, "override/a.conf written from the cluster");
        first.setInstant(Instant.parse("2026-12-05T02:04:09.007Z"));
        handler.publish(first);
        handler.publish(record(Level.FINE, "below the level: dropped"));
        handler.publish(record(Level.INFO, "files.d/a: running its change actions"));
        assertEquals("", written());

        handler.flush();
        assertEquals(List.of("INFO Test: override/a.conf written from the cluster",
                "INFO Test: files.d/a: running its change actions"), messages());
        assertTrue(written().startsWith("2026-12-05 02:04:09.007 INFO"), written());
    }

    @Test
    void aWarningIsWrittenAtOnceAfterTheRecordsWaitingBeforeIt() {
        handler = new BatchedHandler(out, NEVER_MS);
        handler.publish(record(Level.INFO, "first"));
        handler.publish(record(Level.WARNING, "second"));
        assertEquals(List.of("INFO Test: first", "WARNING Test: second"), messages());
    }

    @Test
    void itsThreadWritesWhatIsWaitingWithinAPeriod() {
        handler = new BatchedHandler(out, 20);
        handler.publish(record(Level.INFO, "written later"));
        Await.until(() -> written().contains("INFO Test: written later"), () -> "the line written: " + written());
    }

    @Test
    void anIdleWriterSleepsUntilARecordComesAndThenWritesIt() {
        handler = new BatchedHandler(out, 1);
        Await.until(() -> handler.writerState() == Thread.State.WAITING,
                () -> "the writer asleep, no longer waking on its period: " + handler.writerState());
        handler.publish(record(Level.INFO, "after a quiet while"));
        Await.until(() -> written().contains("INFO Test: after a quiet while"), () -> "the line written: " + written());
    }

    @Test
    void closingWritesWhatIsWaitingAndLeavesTheStreamOpen() {
        handler = new BatchedHandler(out, NEVER_MS);
        handler.publish(record(Level.INFO, "last words"));
        handler.close();
        handler = null;
        assertEquals(List.of("INFO Test: last words"), messages());
        assertFalse(closed, "standard error stays open");
    }

    /** The lines written, without their time stamp (23 characters and a space). */
    private List<String> messages() {
        return written().lines().map(l -> l.substring(24)).toList();
    }

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static LogRecord record(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName("io.mcp.Test");
        return r;
    }
}
