package io.mcp.core.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogLineTest {
    private static final Instant AT = Instant.parse("2026-12-05T02:04:09.007Z");

    @Test
    void aRecordIsOneLineWithTheLocalTimeTheLevelAndTheLoggersSimpleName() {
        LogRecord r = record(Level.INFO, "override/a.conf written from the cluster (version 3)");
        assertEquals("2026-12-05 02:04:09.007 INFO OverrideSync: override/a.conf written from the cluster (version 3)\n",
                new LogLine(ZoneOffset.UTC).format(r));
        assertEquals("2026-12-05 03:04:09.007 WARNING OverrideSync: x\n",
                new LogLine(ZoneId.of("Europe/Paris")).format(record(Level.WARNING, "x")));
    }

    @Test
    void parametersAreFilledInAndAThrowableFollowsWithItsStackTrace() {
        LogRecord r = record(Level.WARNING, "cannot watch {0}");
        r.setParameters(new Object[] {"/srv/x"});
        r.setThrown(new IllegalStateException("no inotify instance left"));
        String out = new LogLine(ZoneOffset.UTC).format(r);
        assertTrue(out.startsWith("2026-12-05 02:04:09.007 WARNING OverrideSync: cannot watch /srv/x\n"
                + "java.lang.IllegalStateException: no inotify instance left\n\tat "), out);
    }

    @Test
    void theRecordIsNotAskedForItsSourceWhichWouldWalkTheStack() {
        boolean[] asked = {false};
        LogRecord r = new LogRecord(Level.INFO, "m") {
            @Override
            public String getSourceClassName() {
                asked[0] = true;
                return super.getSourceClassName();
            }

            @Override
            public String getSourceMethodName() {
                asked[0] = true;
                return super.getSourceMethodName();
            }
        };
        r.setInstant(AT);
        new LogLine(ZoneOffset.UTC).format(r);
        assertFalse(asked[0], "the formatter asked for the record's source");
    }

    private static LogRecord record(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setInstant(AT);
        r.setLoggerName("io.mcp.master.cluster.OverrideSync");
        return r;
    }
}
