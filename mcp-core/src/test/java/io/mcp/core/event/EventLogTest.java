package io.mcp.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcp.core.proto.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written event line is the one Jackson would write, and reads back the same. */
class EventLogTest {
    @TempDir
    Path dir;

    @Test
    void writesWhatTheSharedMapperWrites() throws Exception {
        List<Event> samples = List.of(
                new Event("2026-11-22T04:55:00Z", "info", "mcp-forker", "started", "stopped -> running (pid 12)"),
                new Event("t", "warning", "svc", "crashed", "quote \" backslash \\ slash / tab \t nl \n cr \r"),
                new Event("t", "alert", "svc", "x", "controls \u0000 \u0001 \b \f \u001f del \u007f é ✓ \u2028 😀"),
                new Event("t", "info", null, "kind", null));
        for (Event e : samples) {
            assertEquals(Json.MAPPER.writeValueAsString(e), EventLog.toJson(e));
        }
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            char[] chars = new char[random.nextInt(20)];
            for (int j = 0; j < chars.length; j++) {
                chars[j] = (char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0xD800));
            }
            Event e = new Event("t", "info", "s", "k", new String(chars));
            assertEquals(Json.MAPPER.writeValueAsString(e), EventLog.toJson(e));
        }
    }

    @Test
    void appendedEventsReadBack() throws Exception {
        EventLog log = new EventLog(dir.resolve("log/events.jsonl"),
                Clock.fixed(Instant.parse("2026-11-22T04:55:00Z"), ZoneOffset.UTC));
        log.info("mcp-failsafe", "started", "stopped -> running (\"pid\" 1)\nsecond line");
        log.alert("svc", "failing", "for 10 minutes");

        assertEquals(List.of(
                new Event("2026-11-22T04:55:00Z", "info", "mcp-failsafe", "started", "stopped -> running (\"pid\" 1)\nsecond line"),
                new Event("2026-11-22T04:55:00Z", "alert", "svc", "failing", "for 10 minutes")), log.tail(10));
    }
}
