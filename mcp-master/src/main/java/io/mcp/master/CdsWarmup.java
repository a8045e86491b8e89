package io.mcp.master;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.Json;
import io.mcp.core.proto.JsonLineClient;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.EmbeddedZooKeeper;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.supervise.Conditions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.apache.commons.io.FileUtils;

/**
 * The training run behind the class-data-sharing archive of {@code mcp-master} (made by
 * {@code bin/mcp} after each build): a master on a temporary root with one disabled service, its
 * embedded ZooKeeper on a free loopback port, until it is in quorum; then the control and forker
 * messages a node exchanges. The archive then holds the classes a real master loads at start-up
 * (JAXB, Jackson, jnr-ffi, Curator, ZooKeeper). Not for users; exits 0, or non-zero and no
 * archive is kept.
 */
public final class CdsWarmup {
    private CdsWarmup() {
    }

    public static void main(String[] unused) throws Exception {
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
            Files.writeString(paths.clusterXml(), "<cluster name=\"warmup\"><zookeeper connect=\"embedded\" port=\""
                    + port + "\"/><node id=\"1\"/><member id=\"1\"/></cluster>\n");
            ClusterConfig config = ClusterConfig.load(paths.clusterXml(), new ClusterConfig.Overrides(null, null));
            EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
            try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(paths.zkDataDir(), config.embeddedBind(),
                    config.embeddedPort());
                    Master master = new Master(paths, Os.linux(), Clock.systemUTC(), Master.Settings.defaults(),
                            Conditions.UNKNOWN)) {
                ConditionsFeed feed = new ConditionsFeed(master);
                try (ClusterNode cluster = new ClusterNode(config, zk.connectString(), feed);
                        OverrideSync sync = new OverrideSync(paths, cluster, events, Clock.systemUTC())) {
                    feed.attach(cluster, sync);
                    master.attachCluster(cluster);
                    cluster.start();
                    sync.start();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (!cluster.inQuorum() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    for (ControlRequest r : List.of(new ControlRequest(ControlRequest.SERVICES, null, true),
                            new ControlRequest(ControlRequest.SERVICE, "warmup", false),
                            new ControlRequest(ControlRequest.STATUS, null, false))) {
                        JsonLineClient.callOnce(paths.controlSocket(), r, ControlReply.class);
                    }
                    Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(new ForkerRequest(ForkerRequest.SPAWN,
                            "warmup", List.of("a"), "b", java.util.Map.of("K", "V"), null, null, "/", 1, "p", "l")),
                            ForkerRequest.class);
                    Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(
                            new ForkerReply(true, 0, null, false, false, 1, null, "out", 1L, null)), ForkerReply.class);
                }
            }
        } finally {
            FileUtils.deleteDirectory(root.toFile());
        }
        System.exit(0);
    }
}
