package io.mcp.master;

import io.mcp.master.cluster.ClusterListener;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.supervise.Conditions;
import java.util.Set;

/**
 * Tells the master its {@link Conditions}: in quorum from the {@link ClusterNode}, the store in
 * sync when also in quorum and the {@link OverrideSync} has reconciled every override.
 * Both report from their own threads; every report reads both current states, so whichever runs
 * last tells the truth.
 */
final class ConditionsFeed implements ClusterListener {
    private final Master master;
    private volatile ClusterNode cluster;
    private volatile OverrideSync sync;

    ConditionsFeed(Master master) {
        this.master = master;
    }

    /** Completes the feed once both exist (the sync needs the node, the node needs this listener). */
    void attach(ClusterNode cluster, OverrideSync sync) {
        this.cluster = cluster;
        this.sync = sync;
        sync.addListener(inSync -> update());
    }

    @Override
    public void quorumChanged(boolean inQuorum, Set<String> liveMembers) {
        update();
    }

    private synchronized void update() {
        ClusterNode c = cluster;
        OverrideSync s = sync;
        boolean inQuorum = c != null && c.inQuorum();
        master.conditionsChanged(new Conditions(inQuorum, inQuorum && s != null && s.inSync()));
    }
}
