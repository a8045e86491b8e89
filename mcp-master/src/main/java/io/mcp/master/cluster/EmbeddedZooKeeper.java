package io.mcp.master.cluster;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Logger;
import org.apache.zookeeper.metrics.impl.NullMetricsProvider;
import org.apache.zookeeper.server.DatadirCleanupManager;
import org.apache.zookeeper.server.PurgeTxnLog;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ServerMetrics;
import org.apache.zookeeper.server.ZKDatabase;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

/**
 * A real standalone ZooKeeper server inside the master, for a node whose {@code cluster.xml}
 * says {@code connect="embedded"} (the default). Its data lives in {@code var/zk/}, so what the
 * cluster stored survives a restart of the master.
 *
 * <p>It is the server part of {@code ZooKeeperServerMain} without the admin HTTP server, which
 * would need Jetty, and with metrics off: the master needs neither.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedZooKeeper.class.getName());
    private static final int TICK_MS = 1000;
    /** Allows every session timeout {@code cluster.xml} accepts (1 s to 10 min). */
    private static final int MIN_SESSION_MS = 1000;
    private static final int MAX_SESSION_MS = 600_000;
    private static final int MAX_CONNECTIONS_PER_HOST = 60;
    private static final String MAX_CONNECTIONS_PROPERTY = "zookeeper.maxCnxns";
    private static final int MAX_CONNECTIONS = 1024;
    /** Snapshots (and the logs they need) kept when old ones are purged: at start, then hourly. */
    private static final int SNAPSHOTS_KEPT = 3;

    private final FileTxnSnapLog log;
    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;
    private final DatadirCleanupManager cleanup;
    private final String connectString;
    private final Duration startTime;
    private boolean closed;

    private EmbeddedZooKeeper(FileTxnSnapLog log, ZooKeeperServer server, ServerCnxnFactory connections,
            DatadirCleanupManager cleanup, String connectString, Duration startTime) {
        this.log = log;
        this.server = server;
        this.connections = connections;
        this.cleanup = cleanup;
        this.connectString = connectString;
        this.startTime = startTime;
    }

    /**
     * Starts a server with its data in {@code dataDir}, listening on {@code bind}:{@code port}.
     *
     * @param port the client port; 0 picks a free one (tests)
     * @throws IOException with a one-line reason, e.g. when the port is taken
     */
    public static EmbeddedZooKeeper start(Path dataDir, String bind, int port) throws IOException {
        ZkLogging.quiet();
        long t0 = System.nanoTime();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(bind), port);
        Files.createDirectories(dataDir);
        PurgeTxnLog.purge(dataDir.toFile(), dataDir.toFile(), SNAPSHOTS_KEPT);
        // What ZooKeeperServerMain sets up before a server: metrics (off here) and authentication providers.
        ServerMetrics.metricsProviderInitialized(NullMetricsProvider.INSTANCE);
        ProviderRegistry.initialize();
        if (System.getProperty(MAX_CONNECTIONS_PROPERTY) == null) {
            // ZooKeeper's default is no limit, and it warns about that at every start.
            System.setProperty(MAX_CONNECTIONS_PROPERTY, Integer.toString(MAX_CONNECTIONS));
        }

        FileTxnSnapLog log = new FileTxnSnapLog(dataDir.toFile(), dataDir.toFile());
        ServerCnxnFactory connections = null;
        try {
            ZooKeeperServer server = new ZooKeeperServer(log, TICK_MS, MIN_SESSION_MS, MAX_SESSION_MS, -1,
                    new ZKDatabase(log), "", false);
            connections = ServerCnxnFactory.createFactory();
            try {
                connections.configure(address, MAX_CONNECTIONS_PER_HOST, -1, false);
            } catch (BindException e) {
                throw new IOException("embedded ZooKeeper cannot listen on " + bind + ":" + port + ": "
                        + e.getMessage() + " (another ZooKeeper or master there? <zookeeper port=\"...\"> in "
                        + "cluster.xml sets the port)", e);
            }
            connections.startup(server);
            DatadirCleanupManager cleanup = new DatadirCleanupManager(dataDir.toFile(), dataDir.toFile(),
                    SNAPSHOTS_KEPT, 1);
            cleanup.start();
            String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1"
                    : address.getAddress().getHostAddress();
            String connect = host + ":" + connections.getLocalPort();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            LOG.info("embedded ZooKeeper serves " + connect + " from " + dataDir + ", started in "
                    + took.toMillis() + " ms");
            return new EmbeddedZooKeeper(log, server, connections, cleanup, connect, took);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(connections, log);
            throw new IOException("interrupted while starting the embedded ZooKeeper", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(connections, log);
            throw e;
        }
    }

    /** Where clients on this host reach the server, {@code 127.0.0.1:<port>} when bound to loopback or all. */
    public String connectString() {
        return connectString;
    }

    public int port() {
        return connections.getLocalPort();
    }

    /** How long {@link #start} took, data loading included. */
    public Duration startTime() {
        return startTime;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cleanup.shutdown();
        connections.shutdown(); // closes every client connection, then stops the server
        server.shutdown(true);
        try {
            log.close();
        } catch (IOException e) {
            LOG.warning("embedded ZooKeeper: closing its log failed: " + e.getMessage());
        }
        LOG.info("embedded ZooKeeper on " + connectString + " stopped");
    }

    private static void closeQuietly(ServerCnxnFactory connections, FileTxnSnapLog log) {
        if (connections != null) {
            connections.shutdown();
        }
        try {
            log.close();
        } catch (IOException ignored) {
            // already failing: the first error is the one to report
        }
    }
}
