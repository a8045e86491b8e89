package io.mcp.core.control;

import java.util.List;

/**
 * {@code mcpctl status}: the three MCP processes, this node and its cluster.
 *
 * @param processes the three MCP processes with their PIDs
 * @param zookeeper connection state to the cluster store, {@code none} on a node without one
 * @param overridesInSync whether every override was reconciled with the cluster since the last
 *     (re)connection; null on a node without a cluster
 * @param duplicate another live master that uses this node's id and owns its member node, so that
 *     this node keeps itself out of quorum; null when there is none
 */
public record NodeStatus(
        String root,
        String nodeId,
        List<ProcessEntry> processes,
        String zookeeper,
        Boolean quorum,
        List<String> liveMembers,
        int services,
        int running,
        Boolean overridesInSync,
        Duplicate duplicate) {

    /** The master that owns this node id's member node: its host, PID and ZooKeeper session (hex). */
    public record Duplicate(String host, Long pid, String session) {
    }

    /** One MCP process: its name, PID (from its PID file) and whether that PID is alive. */
    public record ProcessEntry(String name, Long pid, boolean alive) {
    }
}
