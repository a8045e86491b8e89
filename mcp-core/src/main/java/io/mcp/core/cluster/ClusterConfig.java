package io.mcp.core.cluster;

import io.mcp.core.model.Durations;
import io.mcp.core.xml.XmlException;
import io.mcp.core.xml.XmlFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * This node and its cluster, from {@code cluster.xml} with defaults filled in and the command
 * line's overrides applied:
 *
 * <pre>{@code
 * <cluster name="prod">
 *   <zookeeper connect="zk1:2181,zk2:2181,zk3:2181" session-timeout="10s"/>
 *   <node id="2"/>
 *   <member id="1"/><member id="2"/><member id="3"/>
 * </cluster>
 * }</pre>
 *
 * A missing file is a single-node cluster: name {@code mcp}, node {@code 1}, members
 * {@code [1]}, an embedded ZooKeeper. A file that declares no member declares this node alone.
 * {@code <zookeeper port= bind=>} (an MCP extension) set where the embedded server listens:
 * 2181 on loopback unless told otherwise. {@code <zookeeper digest-file=>} (an MCP extension)
 * names a file holding {@code user:password}: every node authenticates with it and every znode
 * MCP creates is readable and writable only by sessions that did the same.
 * {@code <zookeeper tls-truststore= tls-keystore= tls-password-file=>} (MCP extensions) make the
 * connection to an external ensemble TLS; see {@link ZkTls}. {@code <alert command=>} (an MCP
 * extension, see {@link AlertSpec}) is checked here and read again for each alert.
 *
 * @param name the cluster's name, which is also its namespace in ZooKeeper
 * @param nodeId this node's id, its member name in ZooKeeper
 * @param members the declared members, the base of quorum; contains {@code nodeId}
 * @param connect a ZooKeeper connect string, or {@link #EMBEDDED}
 * @param sessionTimeout the ZooKeeper session timeout this node asks for
 * @param embeddedPort the embedded server's client port
 * @param embeddedBind the address the embedded server listens on
 * @param digestFile the file holding this cluster's ZooKeeper digest credentials, or null
 * @param tls TLS to the ensemble, or null for plain connections; never with {@link #EMBEDDED}
 */
public record ClusterConfig(String name, String nodeId, List<String> members, String connect,
        Duration sessionTimeout, int embeddedPort, String embeddedBind, Path digestFile, ZkTls tls) {
    public static final String EMBEDDED = "embedded";
    public static final String DEFAULT_NAME = "mcp";
    public static final String DEFAULT_NODE_ID = "1";
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_PORT = 2181;
    public static final String DEFAULT_BIND = "127.0.0.1";
    /** System properties through which {@code bin/mcp up} passes {@code --node-id} and {@code --zk}. */
    public static final String NODE_ID_PROPERTY = "mcp.node-id";
    public static final String CONNECT_PROPERTY = "mcp.zk";

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** host:port entries separated by commas, an optional chroot; no blanks. */
    private static final Pattern CONNECT = Pattern.compile("[^\\s,/]+(,[^\\s,/]+)*(/\\S*)?");
    private static final Duration MIN_SESSION = Duration.ofSeconds(1);
    private static final Duration MAX_SESSION = Duration.ofMinutes(10);

    /** Checks every value; {@link #load} reports the same failures with file and line. */
    public ClusterConfig {
        checkId("cluster name", name);
        checkId("node id", nodeId);
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException("no members declared");
        }
        for (String m : members) {
            checkId("member id", m);
        }
        if (new LinkedHashSet<>(members).size() != members.size()) {
            throw new IllegalArgumentException("member ids repeat: " + members);
        }
        if (!members.contains(nodeId)) {
            throw new IllegalArgumentException("node id '" + nodeId + "' is not among the declared members "
                    + members);
        }
        checkConnect(connect);
        checkSessionTimeout(sessionTimeout);
        checkPort(embeddedPort);
        if (embeddedBind == null || embeddedBind.isBlank()) {
            throw new IllegalArgumentException("bind address is empty");
        }
        if (tls != null && EMBEDDED.equals(connect)) {
            throw new IllegalArgumentException(EMBEDDED_TLS);
        }
    }

    /**
     * Why TLS is refused with the embedded server: ZooKeeper configures a server's TLS only
     * through JVM-wide system properties, and the master reaches its embedded server on this host.
     */
    private static final String EMBEDDED_TLS = "<zookeeper tls-*> attributes are for an external ensemble;"
            + " the embedded server (connect=\"embedded\") serves plain connections only: point connect (or --zk)"
            + " at a TLS ensemble, or drop the tls-* attributes";

    /** A cluster without TLS to ZooKeeper. */
    public ClusterConfig(String name, String nodeId, List<String> members, String connect,
            Duration sessionTimeout, int embeddedPort, String embeddedBind, Path digestFile) {
        this(name, nodeId, members, connect, sessionTimeout, embeddedPort, embeddedBind, digestFile, null);
    }

    /** A cluster whose ZooKeeper data is open to every client. */
    public ClusterConfig(String name, String nodeId, List<String> members, String connect,
            Duration sessionTimeout, int embeddedPort, String embeddedBind) {
        this(name, nodeId, members, connect, sessionTimeout, embeddedPort, embeddedBind, null, null);
    }

    /**
     * The {@code user:password} in a digest file, checked: one line, neither part empty, the
     * user without {@code :}, the file not readable by every user.
     */
    public static byte[] readDigest(Path file) throws IOException {
        String text = readSecret("digest-file", file);
        int colon = text.indexOf(':');
        if (text.contains("\n") || colon <= 0 || colon == text.length() - 1) {
            throw new IOException("digest-file " + file + " must hold one line 'user:password'");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The text of a file holding a secret, blanks around it removed, refused when it is missing,
     * unreadable or readable by every user.
     *
     * @param attribute the {@code cluster.xml} attribute that names the file, for the messages
     */
    static String readSecret(String attribute, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(attribute + " " + file + " does not exist or is not a regular file");
        }
        try {
            if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
                throw new IOException(attribute + " " + file + " is readable by every user; chmod o-r it");
            }
        } catch (UnsupportedOperationException notPosix) {
            // nothing to check
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IOException(attribute + " " + file + " cannot be read: " + e, e);
        }
    }

    /** A single-node cluster with an embedded ZooKeeper: what a node without cluster.xml runs. */
    public static ClusterConfig defaults() {
        return new ClusterConfig(DEFAULT_NAME, DEFAULT_NODE_ID, List.of(DEFAULT_NODE_ID), EMBEDDED,
                DEFAULT_SESSION_TIMEOUT, DEFAULT_PORT, DEFAULT_BIND);
    }

    /** {@code true} when the master runs the ZooKeeper server itself. */
    public boolean embedded() {
        return EMBEDDED.equals(connect);
    }

    /** What the command line sets over the file; a null field leaves the file's value. */
    public record Overrides(String nodeId, String connect) {
        public static final Overrides NONE = new Overrides(null, null);

        /** Checks what is set, so that a bad command line is refused before anything starts. */
        public Overrides {
            if (nodeId != null) {
                checkId("node id", nodeId);
            }
            if (connect != null) {
                checkConnect(connect);
            }
        }

        /** {@code -Dmcp.node-id} and {@code -Dmcp.zk}, as {@code bin/mcp up} passes them to the master. */
        public static Overrides fromSystemProperties() {
            return new Overrides(blankToNull(System.getProperty(NODE_ID_PROPERTY)),
                    blankToNull(System.getProperty(CONNECT_PROPERTY)));
        }
    }

    /** Reads {@code file}; a missing file gives {@link #defaults()} with the overrides applied. */
    public static ClusterConfig load(Path file, Overrides overrides) throws XmlException {
        Objects.requireNonNull(overrides, "overrides");
        ClusterXml xml = Files.exists(file) ? XmlFiles.read(file, ClusterXml.class) : new ClusterXml();
        return resolve(file, xml, overrides);
    }

    private static ClusterConfig resolve(Path file, ClusterXml xml, Overrides overrides) throws XmlException {
        int rootLine = ClusterXml.line(xml.location);
        String name = xml.name == null ? DEFAULT_NAME : xml.name.trim();
        check(file, rootLine, () -> checkId("cluster name", name));

        ClusterXml.ZooKeeper zk = xml.zookeeper == null ? new ClusterXml.ZooKeeper() : xml.zookeeper;
        int zkLine = xml.zookeeper == null ? rootLine : ClusterXml.line(zk.location);
        String connect = overrides.connect() != null ? overrides.connect().trim()
                : zk.connect == null ? EMBEDDED : zk.connect.trim();
        check(file, overrides.connect() != null ? 0 : zkLine, () -> checkConnect(connect));
        Duration session = parse(file, zkLine, () -> {
            Duration d = Durations.parseOr(zk.sessionTimeout, DEFAULT_SESSION_TIMEOUT);
            checkSessionTimeout(d);
            return d;
        });
        int port = parse(file, zkLine, () -> parsePort(zk.port));
        String bind = zk.bind == null ? DEFAULT_BIND : zk.bind.trim();
        check(file, zkLine, () -> {
            if (bind.isEmpty()) {
                throw new IllegalArgumentException("<zookeeper bind> is empty");
            }
        });

        Path digest = besideClusterXml(file, zk.digestFile);
        if (digest != null) {
            try {
                readDigest(digest);
            } catch (IOException e) {
                throw new XmlException(file, zkLine, e.getMessage());
            }
        }
        ZkTls tls = tls(file, zkLine, zk, connect);

        List<String> members = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (ClusterXml.Id m : xml.members) {
            String id = m.id == null ? null : m.id.trim();
            int line = ClusterXml.line(m.location);
            check(file, line, () -> checkId("<member> id", id));
            if (!seen.add(id)) {
                throw new XmlException(file, line, "member id '" + id + "' is declared twice");
            }
            members.add(id);
        }

        int nodeLine = xml.node == null ? rootLine : ClusterXml.line(xml.node.location);
        String nodeId;
        if (overrides.nodeId() != null) {
            nodeId = overrides.nodeId().trim();
            check(file, 0, () -> checkId("node id from the command line (--node-id)", nodeId));
        } else {
            nodeId = xml.node == null || xml.node.id == null ? DEFAULT_NODE_ID : xml.node.id.trim();
            check(file, nodeLine, () -> checkId("<node> id", nodeId));
        }
        if (members.isEmpty()) {
            members.add(nodeId);
        } else if (!members.contains(nodeId)) {
            String origin = overrides.nodeId() != null ? " (from the command line)" : "";
            throw new XmlException(file, overrides.nodeId() != null ? 0 : nodeLine, "node id '" + nodeId + "'"
                    + origin + " is not among the declared members " + String.join(", ", members));
        }
        if (xml.alert != null) {
            AlertSpec.of(file, xml.alert, name, nodeId); // checked here; read again for each alert
        }
        return new ClusterConfig(name, nodeId, members, connect, session, port, bind, digest, tls);
    }

    /** The {@code tls-*} attributes, checked and the stores opened; null when none is set. */
    private static ZkTls tls(Path file, int line, ClusterXml.ZooKeeper zk, String connect) throws XmlException {
        Path truststore = besideClusterXml(file, zk.tlsTruststore);
        Path keystore = besideClusterXml(file, zk.tlsKeystore);
        Path password = besideClusterXml(file, zk.tlsPasswordFile);
        if (truststore == null && keystore == null && password == null) {
            return null;
        }
        if (EMBEDDED.equals(connect)) {
            throw new XmlException(file, line, EMBEDDED_TLS);
        }
        if (truststore == null) {
            throw new XmlException(file, line, "<zookeeper> has " + (keystore != null ? ZkTls.KEYSTORE
                    : ZkTls.PASSWORD_FILE) + " but no " + ZkTls.TRUSTSTORE + " (the certificates that the"
                    + " ensemble's servers are trusted with)");
        }
        if (password == null) {
            throw new XmlException(file, line, "<zookeeper " + ZkTls.TRUSTSTORE + "> needs "
                    + ZkTls.PASSWORD_FILE + " (a file holding the password of the stores; never the password itself)");
        }
        ZkTls tls = new ZkTls(truststore, keystore, password);
        try {
            tls.open();
        } catch (IOException e) {
            throw new XmlException(file, line, e.getMessage());
        }
        return tls;
    }

    /** A file named in cluster.xml, relative to its directory; null when the attribute is not set. */
    private static Path besideClusterXml(Path file, String attribute) {
        return attribute == null || attribute.isBlank() ? null
                : file.toAbsolutePath().getParent().resolve(attribute.trim()).normalize();
    }

    private static void checkId(String what, String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException(what + " '" + id + "' must be 1-64 letters, digits, '_' or '-'");
        }
    }

    private static void checkConnect(String connect) {
        if (connect == null || !(EMBEDDED.equals(connect) || CONNECT.matcher(connect).matches())) {
            throw new IllegalArgumentException("ZooKeeper connect '" + connect
                    + "' must be 'embedded' or host:port[,host:port...][/chroot]");
        }
    }

    private static void checkSessionTimeout(Duration d) {
        if (d.compareTo(MIN_SESSION) < 0 || d.compareTo(MAX_SESSION) > 0) {
            throw new IllegalArgumentException("session-timeout " + d.toMillis() + " ms is outside 1s..10m");
        }
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
    }

    private static int parsePort(String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT_PORT;
        }
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + text + "' is not a number");
        }
        checkPort(port);
        return port;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Turns a failed check into an error that names the file and line. */
    private static void check(Path file, int line, Runnable check) throws XmlException {
        parse(file, line, () -> {
            check.run();
            return null;
        });
    }

    private static <T> T parse(Path file, int line, Supplier<T> parse) throws XmlException {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new XmlException(file, line, e.getMessage());
        }
    }
}
