package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.REFUSED;
import static io.mcp.master.cluster.ClusterTesting.WAIT;
import static io.mcp.master.cluster.ClusterTesting.await;
import static io.mcp.master.cluster.ClusterTesting.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node pointed at a ZooKeeper 3.5 server, which does not know the persistent watches MCP needs
 * (a real 3.5.10 server in a process of its own, from {@code target/zookeeper-3.5}): one alert that
 * says so, a connection that stays up instead of flapping, and the cluster joined once the
 * ensemble is upgraded.
 */
class OldEnsembleTest {
    private static final Path ZOOKEEPER_35 = Path.of("target", "zookeeper-3.5");

    private final Resources resources = new Resources();
    @TempDir
    Path tmp;
    private int port;
    private Process server35;

    @BeforeEach
    void startZooKeeper35() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = Files.createDirectories(tmp.resolve("zk35"));
        server35 = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", ZOOKEEPER_35.toAbsolutePath() + "/*", "org.apache.zookeeper.server.ZooKeeperServerMain",
                Integer.toString(port), data.toString())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("zk35.log").toFile())
                .start();
        await("ZooKeeper 3.5 listening on " + port, () -> {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException notYet) {
                assertTrue(server35.isAlive(), "ZooKeeper 3.5 exited; see " + tmp.resolve("zk35.log"));
                return false;
            }
        });
    }

    @AfterEach
    void stopAll() throws Exception {
        try {
            resources.close();
        } finally {
            stopServer35();
        }
    }

    private void stopServer35() throws InterruptedException {
        server35.destroyForcibly();
        server35.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static List<Event> alerts(EventLog events) {
        try {
            return events.tail(1000).stream().filter(e -> "alert".equals(e.level())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The connection changes after the first reconnection after {@code after}; null before that reconnection. */
    private static List<ConnectionState> since(List<Map.Entry<ConnectionState, Instant>> states, Instant after) {
        for (int i = 0; i < states.size(); i++) {
            if (states.get(i).getKey() == ConnectionState.RECONNECTED && states.get(i).getValue().isAfter(after)) {
                return states.subList(i + 1, states.size()).stream().map(Map.Entry::getKey).toList();
            }
        }
        return null;
    }

    @Test
    void olderEnsembleIsNamedInOneAlertAndTheConnectionStaysUp() throws Exception {
        NodePaths paths = new NodePaths(tmp.resolve("node1")).ensureLayout();
        EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
        String connect = "127.0.0.1:" + port;
        ClusterNode node = resources.add(new ClusterNode(config("1", List.of("1"), connect), connect, new Events("1"),
                events));
        OverrideSync sync = resources.add(new OverrideSync(paths, node, events, Clock.systemUTC()));
        // Every connection change, with when it came: the one that matters follows the alert.
        List<Map.Entry<ConnectionState, Instant>> states = new CopyOnWriteArrayList<>();
        node.client().getConnectionStateListenable()
                .addListener((c, state) -> states.add(Map.entry(state, Instant.now())));
        node.start();
        sync.start();

        await("the alert naming the ensemble as too old", () -> !alerts(events).isEmpty());
        // The server answered UNIMPLEMENTED (the alert), then closed the connection (an earlier
        // question may have lost its answer the same way); the connection after that must stay up.
        Instant alerted = Instant.parse(alerts(events).get(0).time());
        await("reconnected after the alert", () -> since(states, alerted) != null);
        long until = System.nanoTime() + REFUSED.toNanos() * 2;
        while (System.nanoTime() < until) {
            assertEquals(List.of(), since(states, alerted),
                    "the connection to ZooKeeper 3.5 dropped again: something asked it for what it does not know");
            Thread.sleep(50);
        }

        List<Event> alerts = alerts(events);
        assertEquals(1, alerts.size(), alerts.toString());
        assertEquals("zookeeper", alerts.get(0).kind());
        String message = alerts.get(0).message();
        assertTrue(message.contains("127.0.0.1:" + port + " is older than 3.6"), message);
        assertFalse(node.inQuorum());
        assertFalse(sync.inSync());
        assertEquals(ClusterNode.UNSUPPORTED, node.connectionState());
    }

    @Test
    void theClusterIsJoinedOnceTheEnsembleIsUpgraded() throws Exception {
        NodePaths paths = new NodePaths(tmp.resolve("node1")).ensureLayout();
        EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
        String connect = "127.0.0.1:" + port;
        Events quorum = new Events("1");
        ClusterNode node = resources.add(new ClusterNode(config("1", List.of("1"), connect), connect, quorum, events,
                Duration.ofMillis(500)));
        OverrideSync sync = resources.add(new OverrideSync(paths, node, events, Clock.systemUTC()));
        node.start();
        sync.start();
        await("ZooKeeper shown as unsupported", () -> ClusterNode.UNSUPPORTED.equals(node.connectionState()));
        assertFalse(node.inQuorum());

        // The upgrade: a current server on the same port and data, as after a rolling upgrade.
        stopServer35();
        resources.add(new TestingServer(port, tmp.resolve("zk35").toFile()));

        quorum.expect(true);
        await("overrides in sync", sync::inSync);
        assertEquals("connected", node.connectionState());
        assertEquals(1, alerts(events).size());
    }
}
