package io.mcp.core.control;

import java.util.List;

/**
 * {@code mcpctl status}: the three MCP processes, this node and its cluster.
 *
 * @param processes the three MCP processes with their PIDs
 * @param zookeeper connection state to the cluster store, {@code none} on a node without one
 */
public record NodeStatus(
        String root,
        String nodeId,
        List<ProcessEntry> processes,
        String zookeeper,
        Boolean quorum,
        List<String> liveMembers,
        int services,
        int running) {

    /** One MCP process: its name, PID (from its PID file) and whether that PID is alive. */
    public record ProcessEntry(String name, Long pid, boolean alive) {
    }
}
