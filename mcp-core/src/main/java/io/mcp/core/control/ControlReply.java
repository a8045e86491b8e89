package io.mcp.core.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The master's answer to {@code mcpctl}: {@code ok} with {@code data} (a list of
 * {@link ServiceStatus}, one {@link ServiceStatus}, a {@link NodeStatus} or a list of
 * {@link io.mcp.core.event.Event}), or not ok with a one-line {@code error}.
 */
public record ControlReply(boolean ok, String error, JsonNode data) {
    public static ControlReply error(String error) {
        return new ControlReply(false, error, null);
    }
}
