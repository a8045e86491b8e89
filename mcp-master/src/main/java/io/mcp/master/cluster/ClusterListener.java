package io.mcp.master.cluster;

import java.util.Set;

/** Told by {@link ClusterNode} when this node enters or leaves quorum. */
@FunctionalInterface
public interface ClusterListener {
    /**
     * Called on the cluster thread, one call at a time and in order, only when quorum changes.
     * A node starts out of quorum, so the first call says {@code inQuorum = true}. It must not
     * block: post the work to your own thread.
     *
     * @param inQuorum whether this node is now in quorum
     * @param liveMembers the live members seen at that moment, empty while not connected
     */
    void quorumChanged(boolean inQuorum, Set<String> liveMembers);
}
