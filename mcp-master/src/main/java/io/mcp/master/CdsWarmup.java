package io.mcp.master;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.daemon.Daemon;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.paths.Directories;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerJson;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.supervise.Conditions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The training run behind the class-data-sharing archive of {@code mcp-master} (made by
 * {@code bin/mcp} after each build): a master on a temporary root with one disabled service,
 * connected to a ZooKeeper server on a free loopback port, until it is in quorum; then the
 * control and forker messages a node exchanges. The archive then holds the classes a real master
 * loads at start-up (JAXB, Jackson, jnr-ffi, Curator, the ZooKeeper client). The server runs in a
 * JVM of its own: an archive is resident whole, and a master of a cluster, which uses an
 * external ensemble, would carry the embedded server's ~300 classes unused (a node with the
 * embedded server loads them from the jar, after its services have started). Not for users;
 * exits 0, or non-zero and no archive is kept.
 */
public final class CdsWarmup {
    private CdsWarmup() {
    }

    public static void main(String[] unused) throws Exception {
        Daemon.logOneLinePerRecord(); // as the process does
        Path root = Files.createTempDirectory("mcp-master-warmup");
        try {
            NodePaths paths = new NodePaths(root).ensureLayout();
            Files.writeString(paths.servicesDir().resolve("warmup.xml"), """
                    <?xml version="1.0"?>
                    <service name="warmup" enable="0" display="0" options="require-quorum">
                      <description>warm-up</description>
                      <process name="warmup"/>
                      <actionlist name="start"><action>/bin/true</action></actionlist>
                      <actionlist name="stop"><action>/bin/true</action></actionlist>
                    </service>
                    """);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            String connect = "127.0.0.1:" + port;
            Files.writeString(paths.clusterXml(), "<cluster name=\"warmup\"><zookeeper connect=\"" + connect
                    + "\"/><node id=\"1\"/><member id=\"1\"/></cluster>\n");
            ClusterConfig config = ClusterConfig.load(paths.clusterXml(), new ClusterConfig.Overrides(null, null));
            EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
            Process zk = startZooKeeper(root.resolve("zk"), port);
            try (Master master = new Master(paths, Os.linux(), Clock.systemUTC(), Master.Settings.defaults(),
                    Conditions.UNKNOWN)) {
                ConditionsFeed feed = new ConditionsFeed(master);
                try (ClusterNode cluster = new ClusterNode(config, connect, feed);
                        OverrideSync sync = new OverrideSync(paths, cluster, events, Clock.systemUTC())) {
                    feed.attach(cluster, sync);
                    master.attachCluster(cluster);
                    cluster.start();
                    sync.start();
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (!cluster.inQuorum() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    for (ControlRequest r : List.of(new ControlRequest(ControlRequest.SERVICES, null, true),
                            new ControlRequest(ControlRequest.SERVICE, "warmup", false),
                            new ControlRequest(ControlRequest.STATUS, null, false))) {
                        JsonLineClient.callOnce(paths.controlSocket(), r, ControlReply.class);
                    }
                    // The master's side of the forker socket (no forker runs here).
                    ForkerJson.writeRequest(new ForkerRequest(ForkerRequest.SPAWN, "warmup", List.of("a"), "b",
                            java.util.Map.of("K", "V"), null, null, "/", 1, "p", "l"));
                    ForkerJson.readReply(new String(ForkerJson.writeReply(
                            new ForkerReply(true, 0, null, false, false, 1, null, "out", 1L, null)), StandardCharsets.UTF_8));
                }
            } finally {
                zk.destroy();
                zk.waitFor();
            }
        } finally {
            Directories.deleteTree(root);
        }
        System.exit(0);
    }

    /** A standalone ZooKeeper server, from this JVM's own class path, on loopback {@code port}. */
    private static Process startZooKeeper(Path dir, int port) throws IOException {
        Files.createDirectories(dir.resolve("data"));
        Path cfg = Files.writeString(dir.resolve("zoo.cfg"), "tickTime=2000\ndataDir=" + dir.resolve("data")
                + "\nclientPort=" + port + "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n");
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), "org.apache.zookeeper.server.ZooKeeperServerMain",
                cfg.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }
}
