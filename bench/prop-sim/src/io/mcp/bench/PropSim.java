package io.mcp.bench;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.cluster.ZkLayout;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * The propagation part of the MCP benchmark (issue 3, item 2), Java side. Built by bench/run with
 * javac against this checkout's {@code mcp-master/target/mcp-master.jar} and its
 * {@code target/lib}: it uses MCP's own classes, unchanged, and is not part of the Maven reactor.
 *
 * <pre>
 * PropSim sim   CONNECT WORKDIR NODES CLUSTER RELPATH   # NODES nodes in this JVM
 * PropSim probe CONNECT CLUSTER RELPATH                  # only the publish probe
 * </pre>
 *
 * <p>{@code sim}: simulation mode. Every node is what {@code MasterMain} builds for the cluster:
 * its own root ({@code WORKDIR/nodeK}), its own {@link ClusterNode} (its own Curator client, so
 * its own ZooKeeper session and connection, and its ephemeral member node) and its own
 * {@link OverrideSync} (its own inotify watch on its {@code override/}, its own sync thread, its
 * own mlist). What they share is this JVM (heap, GC, JIT), the disk and the two cores. Prints
 * {@code ready NODES} once every node has reconciled with the cluster, then runs until stdin
 * ends. The harness writes the files and times their arrival from outside (inotify).
 *
 * <p>Both modes also run the probe: one more ZooKeeper session that, for each line {@code arm} on
 * stdin, sets a one-time watch on the znode of {@code override/RELPATH} and prints {@code armed};
 * when the znode is then created or changed it prints {@code pub NANOS} (from
 * {@link System#nanoTime()}, which is CLOCK_MONOTONIC on Linux, as Python's
 * {@code time.monotonic_ns()}): the moment the publishing node's write was committed and sent to
 * watchers. It splits propagation into "local change → published" and "published → on the other
 * nodes". Armed only for the writes that the harness probes, it costs nothing on the others.
 */
public final class PropSim {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private PropSim() {
    }

    public static void main(String[] args) throws Exception {
        Logger.getLogger("").setLevel(Level.WARNING);
        switch (args[0]) {
            case "sim" -> sim(args[1], Path.of(args[2]), Integer.parseInt(args[3]), args[4], args[5]);
            case "probe" -> {
                Probe probe = new Probe(args[1], args[2], args[3]);
                OUT.println("ready 0");
                probe.serve();
            }
            default -> throw new IllegalArgumentException("usage: PropSim sim|probe ...");
        }
        System.exit(0);
    }

    private static void sim(String connect, Path work, int count, String cluster, String rel) throws Exception {
        List<String> members = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            members.add(Integer.toString(i));
        }
        List<ClusterNode> nodes = new ArrayList<>();
        List<OverrideSync> syncs = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                NodePaths paths = new NodePaths(work.resolve("node" + i)).ensureLayout();
                ClusterConfig config = new ClusterConfig(cluster, Integer.toString(i), members, connect,
                        Duration.ofSeconds(10), ClusterConfig.DEFAULT_PORT, ClusterConfig.DEFAULT_BIND);
                ClusterNode node = new ClusterNode(config, connect, (inQuorum, live) -> { });
                nodes.add(node);
                node.start();
                OverrideSync sync = new OverrideSync(paths, node, new EventLog(paths.eventsLog(), Clock.systemUTC()),
                        Clock.systemUTC());
                syncs.add(sync);
                sync.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!syncs.stream().allMatch(OverrideSync::inSync)) {
                if (System.nanoTime() > deadline) {
                    long n = syncs.stream().filter(OverrideSync::inSync).count();
                    throw new IllegalStateException(n + " of " + count + " nodes in sync after 120 s");
                }
                Thread.sleep(50);
            }
            Probe probe = new Probe(connect, cluster, rel);
            OUT.println("ready " + count);
            probe.serve();
        } finally {
            for (OverrideSync s : syncs) {
                s.close();
            }
            for (ClusterNode n : nodes) {
                n.close();
            }
        }
    }

    /** A raw ZooKeeper session that prints the next creation or change of the file's znode, when armed. */
    private static final class Probe {
        private final ZooKeeper zk;
        private final String znode;
        private final Watcher fired = e -> {
            long now = System.nanoTime();
            Watcher.Event.EventType t = e.getType();
            if (t == Watcher.Event.EventType.NodeCreated || t == Watcher.Event.EventType.NodeDataChanged) {
                OUT.println("pub " + now);
            }
        };

        Probe(String connect, String cluster, String rel) throws Exception {
            znode = new ZkLayout(cluster).overrideFile(rel);
            CountDownLatch up = new CountDownLatch(1);
            zk = new ZooKeeper(connect, 10_000, e -> {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    up.countDown();
                }
            });
            if (!up.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("probe: no connection to " + connect);
            }
        }

        /** Arms the watch for each {@code arm} on stdin (one watcher: arming twice sets it once), until stdin ends. */
        void serve() throws Exception {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("arm")) {
                    zk.exists(znode, fired); // absent or not: its creation or next change fires the watch
                    OUT.println("armed");
                }
            }
            zk.close();
        }
    }
}
