package io.mcp.core.control;

import java.util.List;
import java.util.Map;

/**
 * {@code mcpctl services --cluster}: every node's state of every service, side by side.
 *
 * @param nodes the declared members, in order: the columns
 * @param liveNodes the members whose master is live; the others' states are unknown
 * @param services one row per service, in name order
 */
public record ClusterServices(List<String> nodes, List<String> liveNodes, List<Row> services) {
    /** One service: its state on each live node that has it, by node id. */
    public record Row(String name, Map<String, String> states) {
    }
}
