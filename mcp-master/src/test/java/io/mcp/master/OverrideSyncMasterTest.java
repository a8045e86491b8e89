package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.Objects;
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

    /** Starts {@code node}'s master and makes it a member of the cluster, wired as MasterMain does. */
    private OverrideSync joinCluster(TestNode node, ClusterConfig config) throws Exception {
        node.startMaster(Conditions.UNKNOWN);
        ConditionsFeed feed = new ConditionsFeed(node.master());
        ClusterNode cluster = add(new ClusterNode(config, config.connect(), feed));
        OverrideSync sync = new OverrideSync(node.paths, cluster,
                new EventLog(node.paths.eventsLog(), Clock.systemUTC()), Clock.systemUTC());
        sync.keepLocal(node.master()::localOnlyOverride);
        sync.setWriteListener(node.master()::overrideWritten);
        feed.attach(cluster, sync);
        node.master().attachCluster(cluster);
        cluster.start();
        add(sync).start();
        return sync;
    }

    @Test
    void anOverrideWrittenOnNodeOneReachesNodesTwoAndThreeAndTheirChangeActionsRun() throws Exception {
        TestingServer server = add(new TestingServer());
        List<String> three = List.of("1", "2", "3");
        List<TestNode> nodes = new java.util.ArrayList<>();
        List<OverrideSync> syncs = new java.util.ArrayList<>();
        for (String id : three) {
            TestNode node = add(new TestNode(tmp.resolve("node" + id)).startForker());
            Files.writeString(node.paths.filesDir().resolve("app.xml"), """
                    <file path="override/app.conf">
                      <actionlist name="change"><action>cat override/app.conf >> applied.log</action></actionlist>
                    </file>
                    """);
            Files.writeString(node.paths.filesDir().resolve("tuning.xml"), """
                    <file path="override/a-tuning.conf" notify="0">
                      <actionlist name="change"><action>true</action></actionlist>
                    </file>
                    """);
            nodes.add(node);
            syncs.add(joinCluster(node, new ClusterConfig("test", id, three, server.getConnectString(),
                    Duration.ofSeconds(2), 2181, "127.0.0.1")));
        }
        TestNode.await(() -> syncs.stream().allMatch(OverrideSync::inSync), () -> "three nodes in sync");

        Path node1 = nodes.get(0).paths.overrideDir();
        // notify="0", and sorted before app.conf: published first if it were published at all.
        Files.writeString(node1.resolve("a-tuning.conf"), "node 1 only\n");
        Path tmpFile = Files.writeString(node1.resolve(".app.conf.swp"), "workers = 8\n");
        Files.move(tmpFile, node1.resolve("app.conf"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        byte[] written = Files.readAllBytes(node1.resolve("app.conf"));

        for (TestNode node : nodes) {
            TestNode.await(() -> Arrays.equals(written, read(node.paths.overrideDir().resolve("app.conf"))),
                    () -> "override/app.conf on " + node.paths.root());
            TestNode.await(() -> Arrays.equals(written, read(node.paths.root().resolve("applied.log"))),
                    () -> "the change action to have run once on " + node.paths.root());
        }
        for (TestNode node : nodes.subList(1, 3)) {
            assertEquals(null, read(node.paths.overrideDir().resolve("a-tuning.conf")),
                    "a notify=\"0\" file stays on its node");
        }

        // Told by the sync and seen by the watch, a write from the cluster still runs its actions
        // once: had the first content run twice, it would show twice before the second.
        Path tmp2 = Files.writeString(node1.resolve(".app.conf.swp"), "workers = 9\n");
        Files.move(tmp2, node1.resolve("app.conf"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        byte[] both = "workers = 8\nworkers = 9\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (TestNode node : nodes) {
            TestNode.await(() -> read(node.paths.root().resolve("applied.log")) != null
                    && read(node.paths.root().resolve("applied.log")).length >= both.length,
                    () -> "the second change action on " + node.paths.root());
            assertArrayEquals(both, read(node.paths.root().resolve("applied.log")), node.paths.root().toString());
        }
    }

    @Test
    void aSharedFileOutsideOverrideReachesTheSameFilesDefinitionOnEveryNode() throws Exception {
        TestingServer server = add(new TestingServer());
        List<String> three = List.of("1", "2", "3");
        List<TestNode> nodes = new java.util.ArrayList<>();
        List<OverrideSync> syncs = new java.util.ArrayList<>();
        for (String id : three) {
            TestNode node = add(new TestNode(tmp.resolve("node" + id)).startForker());
            // Each node's own /etc, as on separate machines.
            Path etc = Files.createDirectories(tmp.resolve("etc" + id));
            Files.writeString(etc.resolve("ntp.conf"), "as installed on " + id + "\n");
            Files.writeString(node.paths.filesDir().resolve("ntp.xml"), """
                    <file path="%s">
                      <actionlist name="change"><action>cat %s >> applied.log</action></actionlist>
                    </file>
                    """.formatted(etc.resolve("ntp.conf"), etc.resolve("ntp.conf")));
            nodes.add(node);
            syncs.add(joinCluster(node, new ClusterConfig("test", id, three, server.getConnectString(),
                    Duration.ofSeconds(2), 2181, "127.0.0.1")));
        }
        // One node's file became the cluster's, and then every node's.
        Path etc1 = tmp.resolve("etc1/ntp.conf");
        TestNode.await(() -> syncs.stream().allMatch(OverrideSync::inSync) && three.stream().allMatch(id ->
                Arrays.equals(read(etc1), read(tmp.resolve("etc" + id + "/ntp.conf")))),
                () -> "three nodes in sync, with one ntp.conf");
        String agreed = new String(read(etc1), java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < 3; i++) { // and each node whose file changed has run its action for that
            Path applied = nodes.get(i).paths.root().resolve("applied.log");
            boolean changed = !agreed.equals("as installed on " + (i + 1) + "\n");
            TestNode.await(() -> !changed || new String(Objects.requireNonNullElse(read(applied), new byte[0]),
                    java.nio.charset.StandardCharsets.UTF_8).endsWith(agreed), () -> applied + " to end with " + agreed);
        }
        List<Integer> before = new java.util.ArrayList<>();
        for (TestNode node : nodes) {
            byte[] applied = read(node.paths.root().resolve("applied.log"));
            before.add(applied == null ? 0 : applied.length);
        }

        Path edit = Files.writeString(etc1.resolveSibling(".ntp.conf.swp"), "server ntp.example\n");
        Files.move(edit, etc1, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        byte[] written = Files.readAllBytes(etc1);
        for (int i = 0; i < 3; i++) {
            TestNode node = nodes.get(i);
            Path etc = tmp.resolve("etc" + (i + 1) + "/ntp.conf");
            TestNode.await(() -> Arrays.equals(written, read(etc)), () -> etc + " to hold node 1's edit");
            int from = before.get(i);
            TestNode.await(() -> Arrays.equals(written, since(node.paths.root().resolve("applied.log"), from)),
                    () -> "the change action to have run once on " + node.paths.root() + " after the edit");
        }
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
        OverrideSync sync2 = joinCluster(node2, config("2", connect));
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

    private static byte[] since(Path file, int offset) {
        byte[] all = read(file);
        return all == null || all.length < offset ? null : Arrays.copyOfRange(all, offset, all.length);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
