package io.mcp.master.cluster;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.apache.curator.utils.ZKPaths;

/**
 * Every path MCP uses in ZooKeeper, all under one namespace per cluster, {@code /mcp/<cluster>}:
 *
 * <pre>
 * /mcp/&lt;cluster&gt;/members/&lt;node&gt;      ephemeral, one per live master, its status as JSON
 * /mcp/&lt;cluster&gt;/overrides/&lt;name&gt;    override files shared by every node
 * /mcp/&lt;cluster&gt;/mlist              the master mlist
 * /mcp/&lt;cluster&gt;/locks/coordinator  the lock that serialises changes to the mlist
 * </pre>
 *
 * Nothing else in MCP builds ZooKeeper paths. Names that come back from ZooKeeper (member ids,
 * override names) go through {@link #validName} before they are used, above all before they
 * touch the disk.
 */
public final class ZkLayout {
    /** The longest name accepted, in UTF-8 bytes: the usual limit of one file name. */
    public static final int MAX_NAME_BYTES = 255;
    /** Parent of every cluster's namespace; shared by the clusters of one ensemble. */
    public static final String ROOT = "/mcp";

    private final String cluster;

    public ZkLayout(String clusterName) {
        this.cluster = ZKPaths.makePath(ROOT, validName(clusterName));
    }

    /** {@code /mcp/<cluster>}: everything of this cluster. */
    public String clusterPath() {
        return cluster;
    }

    /** Parent of the members' ephemeral nodes. */
    public String membersPath() {
        return ZKPaths.makePath(cluster, "members");
    }

    public String member(String nodeId) {
        return ZKPaths.makePath(membersPath(), validName(nodeId));
    }

    public String overridesPath() {
        return ZKPaths.makePath(cluster, "overrides");
    }

    public String override(String name) {
        return ZKPaths.makePath(overridesPath(), validName(name));
    }

    /**
     * The znode of one override file: its path relative to {@code override/} encoded as one
     * name by {@link #encodeOverride}.
     */
    public String overrideFile(String relativePath) {
        return override(encodeOverride(relativePath));
    }

    /**
     * Encodes a relative path ({@code services.d/webd.xml}) as one znode or file name,
     * reversibly: URL encoding, with {@code .} encoded too so that no name has {@code ..}.
     *
     * @throws IllegalArgumentException when the path is not {@link #decodeOverride valid}
     */
    public static String encodeOverride(String relativePath) {
        checkRelative(relativePath);
        String name = URLEncoder.encode(relativePath, StandardCharsets.UTF_8).replace(".", "%2E");
        return validName(name);
    }

    /**
     * The relative path an override name received from ZooKeeper stands for, checked: every
     * segment non-empty, not {@code .} or {@code ..}, not hidden (a leading {@code .}), no NUL
     * or control character, no backslash.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String decodeOverride(String name) {
        validName(name);
        String path;
        try {
            path = URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("override name is not URL-encoded: " + printable(name));
        }
        checkRelative(path);
        if (!encodeOverride(path).equals(name)) {
            throw new IllegalArgumentException("override name is not in canonical form: " + printable(name));
        }
        return path;
    }

    private static void checkRelative(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("empty override path");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals("..") || segment.equals(".") || segment.startsWith(".")) {
                throw new IllegalArgumentException("override path has an empty, '.', '..' or hidden segment: "
                        + printable(path));
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\') {
                    throw new IllegalArgumentException("override path contains character " + (int) c + ": "
                            + printable(path));
                }
            }
        }
    }

    public String mlistPath() {
        return ZKPaths.makePath(cluster, "mlist");
    }

    public String coordinatorLock() {
        return ZKPaths.makePath(cluster, "locks", "coordinator");
    }

    /**
     * The name of a direct child of {@code parent}, or null when {@code path} is not one (the
     * parent itself, a grandchild, another tree) or its name is not {@link #validName valid}.
     */
    public static String childName(String parent, String path) {
        String prefix = parent + ZKPaths.PATH_SEPARATOR;
        if (path == null || !path.startsWith(prefix)) {
            return null;
        }
        try {
            return validName(path.substring(prefix.length()));
        } catch (IllegalArgumentException e) {
            return null; // a grandchild (it has a '/') or a name we refuse
        }
    }

    /**
     * Returns {@code name} if it can serve as one path element here and as a file name:
     * not empty, at most {@value #MAX_NAME_BYTES} UTF-8 bytes, no {@code /}, no {@code ..}, no NUL
     * or other control character, not {@code .}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String validName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("name longer than " + MAX_NAME_BYTES + " bytes");
        }
        if (name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("name contains '/': " + printable(name));
        }
        if (name.equals(".") || name.contains("..")) {
            throw new IllegalArgumentException("name is '.' or contains '..': " + printable(name));
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            // NUL and the other control characters: ZooKeeper refuses some, file names and logs suffer from all.
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                throw new IllegalArgumentException("name contains control character " + (int) c + ": " + printable(name));
            }
        }
        return name;
    }

    /** For error messages: the name with control characters shown as {@code ?}, cut to 80 characters. */
    private static String printable(String name) {
        String s = name.length() > 80 ? name.substring(0, 80) + "..." : name;
        return "'" + s.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
