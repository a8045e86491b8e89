package io.mcp.master.supervise;

/**
 * What this node knows of its cluster that service options depend on.
 *
 * @param inQuorum this node is connected and more than half the declared members are live
 *     ({@code require-quorum}, {@code kill-on-sigquorum})
 * @param storeInSync the cluster store is reachable and this node's overrides are in sync with
 *     it ({@code require-post-ifs})
 */
public record Conditions(boolean inQuorum, boolean storeInSync) {
    /** A node on its own, with no cluster to wait for. */
    public static final Conditions STANDALONE = new Conditions(true, true);
    /** A cluster node before it has heard from the cluster. */
    public static final Conditions UNKNOWN = new Conditions(false, false);
}
