package io.mcp.core.event;

/**
 * One line of {@code var/log/events.jsonl}.
 *
 * @param time ISO-8601 instant
 * @param level {@code info}, {@code warning} or {@code alert}
 * @param source the MCP process or the service it is about
 * @param kind a short stable word, e.g. {@code started}, {@code crashed}, {@code failing}
 */
public record Event(String time, String level, String source, String kind, String message) {
}
