package io.mcp.master;

import io.mcp.core.daemon.Daemon;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.supervise.Conditions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Entry point of {@code mcp-master}, started by {@code mcp-failsafe}. An internal process, so it
 * is configured by system properties: {@code mcp.root} (the node root), {@code mcp.lifeline}
 * ({@code true}: exit when standard input closes), {@code mcp.node-id}.
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
        NodePaths paths = new NodePaths(Path.of(root)).ensureLayout();
        if (Boolean.getBoolean("mcp.lifeline")) {
            Daemon.exitWhenStdinCloses(NodePaths.MASTER);
        }
        Daemon.writePidFile(paths.pidFile(NodePaths.MASTER));
        Master.Settings defaults = Master.Settings.defaults();
        Master.Settings settings = new Master.Settings(defaults.startTimeout(), defaults.stopTimeout(),
                defaults.actionTimeout(), defaults.safetyNetInterval(), defaults.waitForForker(),
                defaults.adminGroup(), System.getProperty("mcp.node-id", defaults.nodeId()));
        Master master = new Master(paths, Os.linux(), Clock.systemUTC(), settings, Conditions.STANDALONE);
        Runtime.getRuntime().addShutdownHook(new Thread(master::close, "master-shutdown"));
        // SIGTERM is the normal way to stop the master (the failsafe sends it): exit 0, not 143.
        Signal.handle(new Signal("TERM"), s -> System.exit(0));
        new CountDownLatch(1).await();
    }
}
