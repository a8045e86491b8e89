package io.mcp.master.cluster;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import java.util.ArrayList;
import java.util.List;

/**
 * An mlist: for every override file, a state agreed with the cluster. The local mlist,
 * {@code var/mlist.xml}, holds the last state this node and its cluster agreed on;
 * {@link OverrideSync} reads it at start and rewrites it atomically after every agreement. The
 * master mlist, the same document in the znode {@link ZkLayout#mlistPath()}, holds what the
 * cluster holds; {@link MasterMlist} keeps it, and only there does an entry name its {@code node}.
 */
@XmlRootElement(name = "mlist")
@XmlAccessorType(XmlAccessType.FIELD)
public class Mlist {
    @XmlElement(name = "file") public List<Entry> files = new ArrayList<>();

    /** One tracked file. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Entry {
        /** Relative to {@code override/}, with {@code /} between segments. */
        @XmlAttribute public String path;
        /** Hex md5 of the agreed content. */
        @XmlAttribute public String md5;
        /** When this node recorded the agreement, epoch milliseconds. */
        @XmlAttribute public long timestamp;
        /** The znode's version holding that content. */
        @XmlAttribute public int revision;
        /**
         * Local mlist only: the zxid that last changed the znode holding that content, to tell a
         * newer change from the cluster from a stale one (versions start again at 0 when a znode is
         * deleted and created again; zxids only grow). Absent in mlists written before it was kept.
         */
        @XmlAttribute public Long mzxid;
        /** The cluster the agreement was with. */
        @XmlAttribute public String cluster;
        /** Master mlist only: the node that last wrote this entry (the publisher, or a node that repaired it). */
        @XmlAttribute public String node;
    }
}
