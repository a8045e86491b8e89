package io.mcp.master.cluster;

/**
 * Told by {@link OverrideSync} what this node changed in the cluster's overrides, after the znode
 * was written. Called on the sync thread: an implementation must not block, it queues.
 */
public interface PublishListener {
    /** This node wrote the znode of {@code rel}: it holds content {@code md5} at version {@code revision}. */
    void published(String rel, String md5, int revision);

    /** This node deleted the znode of {@code rel}. */
    void deleted(String rel);

    /** A reconcile of every override with the cluster completed (at start and after every reconnection). */
    void reconciled();
}
