package io.mcp.master;

import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidWatcher;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.JsonLineServer;
import io.mcp.master.catalog.DirectoryWatch;
import io.mcp.master.catalog.ServiceCatalog;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.MasterMlist;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.config.ConfigWatch;
import io.mcp.master.control.ControlHandler;
import io.mcp.master.forker.ForkerClient;
import io.mcp.master.override.ServiceOverrides;
import io.mcp.master.supervise.Conditions;
import io.mcp.master.supervise.Supervision;
import io.mcp.master.supervise.SupervisionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The master of one node: reads the service definitions and overrides, supervises every
 * service through the forker, and answers {@code mcpctl}. Stopping the master leaves the
 * services running; the next master adopts them.
 */
public final class Master implements AutoCloseable {
    /** Settings with defaults suited to production; tests shorten the timeouts. */
    public record Settings(Duration startTimeout, Duration stopTimeout, Duration actionTimeout,
            Duration safetyNetInterval, Duration waitForForker, String adminGroup, String nodeId) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(60),
                    Duration.ofSeconds(5), Duration.ofSeconds(30), System.getenv("MCP_ADMIN_GROUP"), "1");
        }
    }

    private static final Logger LOG = Logger.getLogger(Master.class.getName());
    /** File-system events come in bursts (an editor's write, rename, chmod): scan once after them. */
    private static final long SCAN_DEBOUNCE_MS = 20;
    private static final long PUBLISH_DEBOUNCE_MS = 50;

    private final ScheduledExecutorService loop;
    private final PidWatcher pidWatcher;
    private final ForkerClient forker;
    private final ServiceCatalog catalog;
    private final Supervision supervision;
    private final ConfigWatch configWatch;
    private final DirectoryWatch directoryWatch;
    private final JsonLineServer<ControlRequest, ControlReply> control;
    private final AtomicBoolean scanPending = new AtomicBoolean();
    private final AtomicBoolean publishPending = new AtomicBoolean();
    private volatile ClusterNode cluster;
    private volatile OverrideSync sync;
    private volatile MasterMlist masterMlist;

    /** A master whose services start under {@code initial} conditions, until told otherwise. */
    public Master(NodePaths paths, Os os, Clock clock, Settings settings, Conditions initial) throws IOException {
        paths.ensureLayout();
        loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "supervision"));
        pidWatcher = new PidWatcher(os);
        forker = new ForkerClient(paths.forkerSocket(), settings.waitForForker());
        EventLog events = new EventLog(paths.eventsLog(), clock);
        SupervisionContext ctx = new SupervisionContext(paths, os, pidWatcher, forker, events, clock, loop,
                settings.startTimeout(), settings.stopTimeout(), settings.actionTimeout(), this::schedulePublish);
        supervision = new Supervision(ctx, initial);
        ServiceOverrides overrides = new ServiceOverrides(paths);
        catalog = new ServiceCatalog(paths, overrides, supervision);
        configWatch = new ConfigWatch(paths, supervision, forker, events, loop, settings.actionTimeout());
        onLoop(() -> {
            catalog.scan();
            configWatch.scan();
            return null;
        });
        directoryWatch = new DirectoryWatch(List.of(paths.servicesDir(), paths.serviceOverridesDir(),
                paths.filesDir()), this::scheduleScan);
        long every = settings.safetyNetInterval().toMillis();
        loop.scheduleWithFixedDelay(this::safetyNet, every, every, TimeUnit.MILLISECONDS);
        control = new JsonLineServer<>(paths.controlSocket(), "rw-rw----", ControlRequest.class,
                new ControlHandler(paths, os, supervision, overrides, this::onLoop, settings.adminGroup(),
                        settings.nodeId(), () -> cluster, () -> sync, () -> masterMlist),
                e -> ControlReply.error(e.getMessage() == null ? e.toString() : e.getMessage()));
        events.info("mcp-master", "started", "supervising " + supervision.statuses().size() + " services");
    }

    public Supervision supervision() {
        return supervision;
    }

    /**
     * The override sync wrote {@code file} from the cluster (content {@code md5}): its change
     * actions start at once. Any thread.
     */
    public void overrideWritten(Path file, BasicFileAttributes attributes, String md5) {
        configWatch.written(file, attributes, md5);
    }

    /** Whether a file under {@code override/} is kept on this node only ({@code notify="0"}). */
    public boolean localOnlyOverride(String overrideRelative) {
        return configWatch.localOnly(overrideRelative);
    }

    /**
     * Makes this master a member of its cluster: the node's status names it, service states are
     * published in its member node, and its quorum decides the services that depend on it.
     */
    public void attachCluster(ClusterNode node) {
        cluster = node;
        schedulePublish();
    }

    /** Lets {@code mcpctl} see this node's override propagation and the cluster's master mlist. */
    public void attachOverrides(OverrideSync overrideSync, MasterMlist mlist) {
        this.sync = overrideSync;
        this.masterMlist = mlist;
    }

    /** Service states change in bursts (a start is several steps): publish once after them. */
    private void schedulePublish() {
        if (cluster != null && publishPending.compareAndSet(false, true)) {
            loop.schedule(() -> {
                publishPending.set(false);
                Map<String, String> states = new TreeMap<>();
                supervision.statuses().forEach(s -> states.put(s.name(), s.state()));
                cluster.publishServices(states);
            }, PUBLISH_DEBOUNCE_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** The cluster's news (quorum gained or lost, store in sync): services depending on it follow. */
    public void conditionsChanged(Conditions now) {
        loop.execute(() -> supervision.conditionsChanged(now));
    }

    private void scheduleScan() {
        if (scanPending.compareAndSet(false, true)) {
            loop.schedule(() -> {
                scanPending.set(false);
                catalog.scan();
                configWatch.scan();
            }, SCAN_DEBOUNCE_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Catches what no event told us about: a missed file change, a process that died unseen. */
    private void safetyNet() {
        try {
            catalog.scan();
            configWatch.scan();
            supervision.reconcileAll();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "periodic pass failed", e);
        }
    }

    /** Runs {@code task} on the supervision loop and waits for it: for tests that hold the loop while something happens. */
    void runOnLoop(Runnable task) {
        onLoop(() -> {
            task.run();
            return null;
        });
    }

    /** Runs {@code task} on the supervision loop and waits for it. */
    private Void onLoop(java.util.concurrent.Callable<Void> task) {
        try {
            return loop.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        control.close();
        try {
            directoryWatch.close();
            configWatch.close();
        } catch (IOException ignored) {
            // closing a watch service does not fail in a way we can act on
        }
        loop.shutdownNow();
        try {
            loop.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pidWatcher.close();
        forker.close();
    }
}
