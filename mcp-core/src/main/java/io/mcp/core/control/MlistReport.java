package io.mcp.core.control;

import java.util.List;

/**
 * {@code mcpctl mlist}: this node's local mlist, the cluster's master mlist and their differences,
 * and whether each local file still matches its local mlist entry. The field names are the JSON
 * contract of {@code mcpctl mlist --json} (README, mcpctl section).
 *
 * @param cluster the cluster name
 * @param node this node's id
 * @param local the local mlist ({@code var/mlist.xml}), in path order, each entry with {@code disk}
 * @param unpublished files under {@code override/} that have no local mlist entry yet (not published
 *     yet, or refused: too large, a name too long), in path order
 * @param clusterAvailable whether the master mlist could be read from ZooKeeper
 * @param clusterError why it could not, else null
 * @param master the master mlist, in path order, each entry with {@code node}; null when unavailable
 * @param differences between the local and the master mlist, in path order; null when unavailable
 * @param agree the master mlist was read and no difference was found
 */
public record MlistReport(
        String cluster,
        String node,
        List<Entry> local,
        List<String> unpublished,
        boolean clusterAvailable,
        String clusterError,
        List<Entry> master,
        List<Difference> differences,
        boolean agree) {

    /** {@link Entry#disk}: the file on disk has the entry's md5. */
    public static final String DISK_SAME = "same";
    /** {@link Entry#disk}: the file was changed since its entry: a local edit not yet published. */
    public static final String DISK_MODIFIED = "modified";
    /** {@link Entry#disk}: the file is gone: a local deletion not yet published. */
    public static final String DISK_MISSING = "missing";

    /** {@link Difference#kind}: in the local mlist only. */
    public static final String ONLY_LOCAL = "only-local";
    /** {@link Difference#kind}: in the master mlist only. */
    public static final String ONLY_CLUSTER = "only-cluster";
    /** {@link Difference#kind}: both have it with different content. */
    public static final String MD5 = "md5";
    /** {@link Difference#kind}: same content, different znode versions. */
    public static final String REVISION = "revision";

    /**
     * One mlist entry.
     *
     * @param timestamp when the entry was recorded, epoch milliseconds
     * @param revision the version of the override's znode
     * @param node master mlist only: the node that wrote the entry
     * @param disk local mlist only: {@code same}, {@code modified} or {@code missing}
     */
    public record Entry(String path, String md5, long timestamp, int revision, String cluster, String node,
            String disk) {
    }

    /** One path on which the two mlists differ; the side that lacks it has nulls. */
    public record Difference(String path, String kind, String localMd5, Integer localRevision, String clusterMd5,
            Integer clusterRevision) {
    }
}
