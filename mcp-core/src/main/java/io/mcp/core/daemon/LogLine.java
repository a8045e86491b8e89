package io.mcp.core.daemon;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One line per log record, {@code 2026-12-05 02:12:39.123 INFO ConfigWatch: message}, then the
 * stack trace of a throwable if there is one.
 *
 * <p>Not the JDK's {@code SimpleFormatter}: whatever its format, that one asks the record for its
 * source class, which walks the stack, and formats through {@code java.util.Formatter} and the
 * locale's date names. A record is logged for every override applied and every change action,
 * mostly by code that has not been compiled yet: interpreted, the JDK's formatter took a
 * millisecond of CPU per record, on the path of the change it reports.
 */
public final class LogLine extends Formatter {
    private final ZoneId zone;

    public LogLine() {
        this(ZoneId.systemDefault());
    }

    LogLine(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public String format(LogRecord record) {
        Instant at = record.getInstant();
        LocalDateTime t = LocalDateTime.ofInstant(at, zone);
        StringBuilder b = new StringBuilder(128);
        b.append(t.getYear()).append('-');
        two(b, t.getMonthValue()).append('-');
        two(b, t.getDayOfMonth()).append(' ');
        two(b, t.getHour()).append(':');
        two(b, t.getMinute()).append(':');
        two(b, t.getSecond()).append('.');
        int millis = t.getNano() / 1_000_000;
        b.append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10)).append((char) ('0' + millis % 10));
        b.append(' ').append(record.getLevel().getName()).append(' ');
        String logger = record.getLoggerName();
        if (logger != null) {
            b.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ");
        }
        b.append(formatMessage(record)).append('\n');
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            b.append(trace);
        }
        return b.toString();
    }

    private static StringBuilder two(StringBuilder b, int value) {
        return b.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }
}
