package io.mcp.forker;

import io.mcp.core.daemon.Daemon;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerJson;
import io.mcp.core.proto.ForkerReply;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import sun.misc.Signal;

/**
 * Entry point of the {@code mcp-forker} process, which mcp-failsafe starts. Not a user command,
 * so it is configured by system properties: {@code mcp.root} (the node root, required) and
 * {@code mcp.lifeline} ({@code true}: exit when stdin, a pipe from the failsafe, reaches end of
 * file). Logs to stderr, which the failsafe sends to a log file. Exits 0 on SIGTERM.
 */
public final class ForkerMain {
    private static final Logger LOG = Logger.getLogger(ForkerMain.class.getName());

    private ForkerMain() {
    }

    /** Serves until SIGTERM, or until the lifeline closes; arguments are ignored. */
    public static void main(String[] args) throws Exception {
        String root = System.getProperty("mcp.root");
        if (root == null || root.isBlank()) {
            System.err.println(NodePaths.FORKER + ": system property mcp.root is not set");
            System.exit(2);
        }
        Daemon.nameProcess(NodePaths.FORKER);
        Daemon.logOneLinePerRecord();
        // The JVM would exit 143 on SIGTERM; stopping on request is a normal exit.
        Signal.handle(new Signal("TERM"), signal -> System.exit(0));
        if (Boolean.getBoolean("mcp.lifeline")) {
            Daemon.exitWhenStdinCloses(NodePaths.FORKER);
        }
        NodePaths paths = new NodePaths(Path.of(root)).ensureLayout();
        ForkerServer server = new ForkerServer(paths);
        warmUp();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "forker-shutdown"));
        // Written last, once the socket is bound: whoever sees the PID file can connect and signal.
        Daemon.writePidFile(paths.pidFile(NodePaths.FORKER));
        LOG.info(NodePaths.FORKER + " pid " + ProcessHandle.current().pid() + " serving " + server.socket());
        new CountDownLatch(1).await();
    }

    /**
     * Binds the JSON classes while the master is still starting, so that the first start request
     * does not pay some hundred milliseconds of class loading and initialisation.
     */
    private static void warmUp() {
        Thread t = new Thread(() -> {
            try {
                ForkerJson.readRequest("{\"op\":\"ping\",\"actions\":[],\"env\":{},\"pid\":1}");
                ForkerJson.writeReply(ForkerReply.failure("warm-up"));
            } catch (java.io.IOException e) {
                // only a warm-up
            }
        }, "warm-up");
        t.setDaemon(true);
        t.start();
    }
}
