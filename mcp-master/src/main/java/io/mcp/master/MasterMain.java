package io.mcp.master;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.daemon.Daemon;
import io.mcp.core.event.AlertCommand;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.xml.XmlException;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.EmbeddedZooKeeper;
import io.mcp.master.cluster.MasterMlist;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.supervise.Conditions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Entry point of {@code mcp-master}, started by {@code mcp-failsafe}. An internal process, so it
 * is configured by system properties: {@code mcp.root} (the node root), {@code mcp.lifeline}
 * ({@code true}: exit when standard input closes), and {@code mcp.node-id} and {@code mcp.zk},
 * which override {@code cluster.xml}.
 */
public final class MasterMain {
    private MasterMain() {
    }

    public static void main(String[] args) throws Exception {
        String root = System.getProperty("mcp.root");
        if (root == null) {
            System.err.println("mcp-master: -Dmcp.root=DIR is required (it is started by bin/mcp up)");
            System.exit(2);
        }
        Daemon.nameProcess(NodePaths.MASTER);
        Daemon.logOneLinePerRecord();
        NodePaths paths = new NodePaths(Path.of(root)).ensureLayout();
        if (Boolean.getBoolean("mcp.lifeline")) {
            Daemon.exitWhenStdinCloses(NodePaths.MASTER);
        }
        Daemon.writePidFile(paths.pidFile(NodePaths.MASTER));
        EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());

        ClusterConfig.Overrides overrides = ClusterConfig.Overrides.fromSystemProperties();
        EventLog.deliverAlertsTo(new AlertCommand(paths, overrides, events, NodePaths.MASTER));
        ClusterConfig config = null;
        try {
            config = ClusterConfig.load(paths.clusterXml(), overrides);
        } catch (XmlException | IllegalArgumentException e) {
            cannotStart("cluster configuration: " + e.getMessage(), events, Daemon.EXIT_CONFIG);
        }

        Master.Settings defaults = Master.Settings.defaults();
        Master.Settings settings = new Master.Settings(defaults.startTimeout(), defaults.stopTimeout(),
                defaults.actionTimeout(), defaults.safetyNetInterval(), defaults.waitForForker(),
                defaults.adminGroup(), config.nodeId());
        // Services that need no quorum start now, while the embedded ZooKeeper server (a fifth of
        // a second) and the cluster connection come up; the others wait for them as before.
        Master master = new Master(paths, Os.linux(), Clock.systemUTC(), settings, Conditions.UNKNOWN);
        EmbeddedZooKeeper embedded = null;
        if (config.embedded()) {
            try {
                embedded = EmbeddedZooKeeper.start(paths.zkDataDir(), config.embeddedBind(), config.embeddedPort());
            } catch (IOException | IllegalArgumentException e) {
                cannotStart("embedded ZooKeeper: " + e.getMessage(), events, 1);
            }
        }
        ConditionsFeed feed = new ConditionsFeed(master);
        ClusterNode cluster;
        try {
            cluster = new ClusterNode(config, embedded != null ? embedded.connectString() : config.connect(), feed,
                    events);
        } catch (UncheckedIOException e) { // a digest or TLS file changed since cluster.xml was read
            cannotStart("cluster configuration: " + e.getMessage(), events, Daemon.EXIT_CONFIG);
            return;
        }
        OverrideSync sync = new OverrideSync(paths, cluster, events, Clock.systemUTC());
        sync.keepLocal(master::localOnlyOverride);
        sync.setWriteListener(master::overrideWritten);
        MasterMlist masterMlist = new MasterMlist(cluster, Clock.systemUTC());
        sync.setPublishListener(masterMlist);
        feed.attach(cluster, sync);
        master.attachCluster(cluster);
        master.attachOverrides(sync, masterMlist);
        cluster.start();
        masterMlist.start();
        sync.start();

        EmbeddedZooKeeper server = embedded;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            master.close();
            sync.close();
            masterMlist.close();
            cluster.close();
            if (server != null) {
                server.close();
            }
        }, "master-shutdown"));
        // SIGTERM is the normal way to stop the master (the failsafe sends it): exit 0, not 143.
        Signal.handle(new Signal("TERM"), s -> System.exit(0));
        new CountDownLatch(1).await();
    }

    /**
     * Without its cluster the master cannot decide quorum: it exits and the failsafe tries again
     * with backoff, alerting if this lasts (its alerts quote this reason). Managed services keep running meanwhile. A bad
     * {@code cluster.xml} exits with {@link Daemon#EXIT_CONFIG}: at the node agent's first start
     * the failsafe then gives up at once and prints why.
     */
    private static void cannotStart(String why, EventLog events, int status) {
        // A warning: each attempt fails alike; the failsafe alerts after 10 and 30 minutes of it.
        events.warning(NodePaths.MASTER, "cluster", "cannot start: " + why);
        System.err.println("mcp-master: " + why);
        System.exit(status);
    }
}
