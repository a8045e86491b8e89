package io.mcp.core.event;

import io.mcp.core.paths.Directories;
import io.mcp.core.proto.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.commons.io.input.ReversedLinesFileReader;

/**
 * Appends events to {@code var/log/events.jsonl}, one JSON object per line. Any MCP process may
 * write to it: each event is one {@code write} in append mode, so lines never interleave.
 */
public final class EventLog {
    private static final Logger LOG = Logger.getLogger(EventLog.class.getName());
    /** Where this process's alerts go besides the file; one per process, set at start. */
    private static volatile Consumer<Event> alertDelivery = alert -> { };
    private final Path file;
    private final Clock clock;

    public EventLog(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    public void info(String source, String kind, String message) {
        append(new Event(clock.instant().toString(), "info", source, kind, message));
    }

    public void warning(String source, String kind, String message) {
        append(new Event(clock.instant().toString(), "warning", source, kind, message));
    }

    public void alert(String source, String kind, String message) {
        append(new Event(clock.instant().toString(), "alert", source, kind, message));
    }

    /**
     * Hands every alert this process writes, once written, to {@code delivery} as well (the
     * {@link AlertCommand}). One per process, whichever {@code EventLog} writes the alert.
     */
    public static void deliverAlertsTo(Consumer<Event> delivery) {
        alertDelivery = delivery;
    }

    public void append(Event event) {
        write(event);
        if ("alert".equals(event.level())) {
            alertDelivery.accept(event);
        }
    }

    private synchronized void write(Event event) {
        // logp: the source given, so that no stack walk looks for it.
        LOG.logp("info".equals(event.level()) ? Level.INFO : Level.WARNING, EventLog.class.getName(), "append",
                event.source() + " " + event.kind() + ": " + event.message());
        try {
            byte[] line = (toJson(event) + "\n").getBytes(StandardCharsets.UTF_8);
            Directories.ensure(file.getParent());
            Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write event to " + file, e);
        }
    }

    /**
     * One event as a JSON object, written by hand: the same text the shared Jackson mapper writes
     * (fields in record order, nulls left out), and mcp-failsafe's C writes too, without the data
     * binding's reflection for every event.
     */
    static String toJson(Event e) {
        StringBuilder b = new StringBuilder(96 + (e.message() == null ? 0 : e.message().length()));
        b.append('{');
        field(b, "time", e.time());
        field(b, "level", e.level());
        field(b, "source", e.source());
        field(b, "kind", e.kind());
        field(b, "message", e.message());
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        if (value == null) {
            return;
        }
        if (b.length() > 1) {
            b.append(',');
        }
        b.append('"').append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** The newest {@code max} events, oldest first; malformed lines are skipped. */
    public List<Event> tail(int max) throws IOException {
        List<Event> newestFirst = new ArrayList<>();
        if (!Files.exists(file)) {
            return newestFirst;
        }
        try (ReversedLinesFileReader r = ReversedLinesFileReader.builder().setPath(file)
                .setCharset(StandardCharsets.UTF_8).get()) {
            String line;
            while (newestFirst.size() < max && (line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    try {
                        newestFirst.add(Json.MAPPER.readValue(line, Event.class));
                    } catch (IOException malformed) {
                        // a torn line from a crash mid-write: not an event
                    }
                }
            }
        }
        java.util.Collections.reverse(newestFirst);
        return newestFirst;
    }
}
