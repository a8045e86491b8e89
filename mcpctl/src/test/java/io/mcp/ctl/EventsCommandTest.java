package io.mcp.ctl;

import static io.mcp.ctl.CtlRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mcpctl events} reads var/log/events.jsonl itself: no master runs in these tests. */
class EventsCommandTest {
    /** EventLog also logs each event; kept quiet here (held, as JUL keeps loggers weakly). */
    private static final Logger EVENT_LOG_LOGGER = Logger.getLogger(EventLog.class.getName());

    @TempDir
    Path root;
    private EventLog log;

    @BeforeAll
    static void quiet() {
        EVENT_LOG_LOGGER.setLevel(Level.OFF);
    }

    @BeforeEach
    void openLog() {
        log = new EventLog(new NodePaths(root).eventsLog(),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
    }

    @Test
    void eventsShowsTheNewestLastAsManyAsAsked() {
        for (int i = 1; i <= 5; i++) {
            log.info("webd", "started", "start " + i);
        }
        log.alert("mcp-forker", "failing", "failing for 10 minutes\nsee its log");

        CtlRun r = run("--root", root.toString(), "events", "-n", "3");

        assertEquals(0, r.code(), r::toString);
        List<String> lines = r.outLines();
        assertEquals("Time                  Level  Source      Kind     Message", lines.get(0));
        assertEquals(List.of(
                "2025-01-01T00:00:00Z  info   webd        started  start 4",
                "2025-01-01T00:00:00Z  info   webd        started  start 5",
                "2025-01-01T00:00:00Z  alert  mcp-forker  failing  failing for 10 minutes see its log"),
                lines.subList(2, 5));
        assertEquals(6, lines.size(), r::toString);
    }

    @Test
    void eventsShowsFiftyByDefault() {
        for (int i = 1; i <= 60; i++) {
            log.info("webd", "started", "start " + i);
        }

        List<String> lines = run("--root", root.toString(), "events").outLines();

        assertEquals(50 + 3, lines.size());
        assertEquals("start 11", lines.get(2).substring(lines.get(2).lastIndexOf("start")));
        assertEquals("start 60", lines.get(51).substring(lines.get(51).lastIndexOf("start")));
    }

    @Test
    void eventsJsonIsAnArrayOfEvents() throws Exception {
        log.info("webd", "started", "up");
        log.warning("webd", "crashed", "exit 1");

        CtlRun r = run("--root", root.toString(), "events", "--json");

        assertEquals(0, r.code(), r::toString);
        JsonNode array = Json.MAPPER.readTree(r.out());
        assertEquals(2, array.size());
        assertEquals("crashed", array.get(1).get("kind").asText());
        assertEquals("warning", array.get(1).get("level").asText());
        assertEquals("2025-01-01T00:00:00Z", array.get(0).get("time").asText());
    }

    @Test
    void withNoEventsFileEventsSaysSo() {
        CtlRun r = run("--root", root.toString(), "events");

        assertEquals(0, r.code(), r::toString);
        assertEquals("No events in " + new NodePaths(root).eventsLog() + "\n", r.out());
    }
}
