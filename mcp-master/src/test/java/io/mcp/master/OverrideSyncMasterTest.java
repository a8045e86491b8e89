package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.override.ServiceOverrides;
import io.mcp.master.supervise.Conditions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An enable written on one node starts the service on another: the override travels through
 * ZooKeeper, and the master there sees it like any local override.
 */
class OverrideSyncMasterTest {
    private static final List<String> TWO = List.of("1", "2");
    @TempDir Path tmp;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    @AfterEach
    void closeAll() throws Exception {
        while (!started.isEmpty()) {
            started.pop().close();
        }
    }

    private <T extends AutoCloseable> T add(T t) {
        started.push(t);
        return t;
    }

    private static ClusterConfig config(String id, String connect) {
        return new ClusterConfig("test", id, TWO, connect, Duration.ofSeconds(2), 2181, "127.0.0.1");
    }

    @Test
    void anEnableOnNodeOneStartsTheServiceOnNodeTwo() throws Exception {
        TestingServer server = add(new TestingServer());
        String connect = server.getConnectString();

        // Node 1: no master, only its overrides and their propagation.
        NodePaths paths1 = new NodePaths(tmp.resolve("node1")).ensureLayout();
        ClusterNode cluster1 = add(new ClusterNode(config("1", connect), connect, (q, live) -> { }));
        cluster1.start();
        OverrideSync sync1 = add(new OverrideSync(paths1, cluster1,
                new EventLog(paths1.eventsLog(), Clock.systemUTC()), Clock.systemUTC()));
        sync1.start();

        // Node 2: a real forker and master, fed conditions as MasterMain does.
        TestNode node2 = add(new TestNode(tmp.resolve("node2")).startForker());
        node2.define("x.xml", node2.foreground("x", false, "require-post-ifs"));
        node2.startMaster(Conditions.UNKNOWN);
        ConditionsFeed feed = new ConditionsFeed(node2.master());
        ClusterNode cluster2 = add(new ClusterNode(config("2", connect), connect, feed));
        OverrideSync sync2 = new OverrideSync(node2.paths, cluster2,
                new EventLog(node2.paths.eventsLog(), Clock.systemUTC()), Clock.systemUTC());
        feed.attach(cluster2, sync2);
        node2.master().attachCluster(cluster2);
        cluster2.start();
        add(sync2).start();
        node2.awaitState("x", "stopped");
        TestNode.await(() -> sync1.inSync() && sync2.inSync(), () -> "both nodes in sync");

        new ServiceOverrides(paths1).setEnabled("x", true);
        byte[] written = Files.readAllBytes(paths1.serviceOverride("x"));
        TestNode.await(() -> Arrays.equals(written, read(node2.paths.serviceOverride("x"))),
                () -> "override/services.d/x.xml on node 2");
        assertEquals(Optional.of(true), new ServiceOverrides(node2.paths).enabled("x"));
        node2.awaitState("x", "running");

        new ServiceOverrides(paths1).setEnabled("x", false);
        node2.awaitState("x", "stopped");
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
