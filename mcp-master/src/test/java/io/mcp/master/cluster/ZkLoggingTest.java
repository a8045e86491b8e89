package io.mcp.master.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class ZkLoggingTest {
    private static LogRecord handshakeFailed(Instant at) {
        LogRecord r = new LogRecord(Level.SEVERE, "Unexpected throwable");
        r.setInstant(at);
        r.setThrown(new IOException("wrapped", new SSLHandshakeException("PKIX path validation failed")));
        return r;
    }

    @Test
    void aRepeatedErrorWithAStackTraceBecomesOneLineOncePerPeriod() {
        ZkLogging.OneLine filter = new ZkLogging.OneLine(Duration.ofMinutes(1));
        Instant t0 = Instant.parse("2026-11-22T08:00:00Z");
        LogRecord first = handshakeFailed(t0);
        assertTrue(filter.isLoggable(first));
        assertNull(first.getThrown());
        assertEquals("Unexpected throwable: javax.net.ssl.SSLHandshakeException: PKIX path validation failed",
                first.getMessage());
        assertFalse(filter.isLoggable(handshakeFailed(t0.plusSeconds(30))), "the same line within the minute");
        assertTrue(filter.isLoggable(handshakeFailed(t0.plusSeconds(61))));
    }
}
