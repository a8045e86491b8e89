package io.mcp.core.event;

import io.mcp.core.cluster.AlertSpec;
import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.paths.Directories;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.xml.XmlException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Passes each alert to the operator's own command, {@code <alert command=>} in {@code cluster.xml}
 * (a pager, a mail, a webhook through {@code curl}): run by {@code /bin/sh -c} in the node's root
 * with {@code MCP_ALERT_TIME}, {@code MCP_ALERT_SOURCE}, {@code MCP_ALERT_KIND},
 * {@code MCP_ALERT_MESSAGE}, {@code MCP_CLUSTER}, {@code MCP_NODE_ID} and {@code MCP_ROOT} in its
 * environment and the alert's JSON line on stdin; its output goes to {@code var/log/alert.log}.
 *
 * <p>Commands run one at a time on a thread of their own, never on the thread that raised the
 * alert, and are killed after their timeout. A command that fails, or a {@code cluster.xml} that
 * cannot be read, is a warning event: never an alert, which would call the command again.
 */
public final class AlertCommand implements Consumer<Event> {
    private static final Logger LOG = Logger.getLogger(AlertCommand.class.getName());
    /** Alerts come a few at a time; a flood beyond this is in events.jsonl but not passed on. */
    private static final int MAX_WAITING = 100;

    private final NodePaths paths;
    private final ClusterConfig.Overrides overrides;
    private final EventLog events;
    private final String source;
    private final ThreadPoolExecutor runner;

    /**
     * @param overrides the command line's node id, which {@code MCP_NODE_ID} reports over the file's
     * @param source the process that raises the alerts, named in the warnings about the command
     */
    public AlertCommand(NodePaths paths, ClusterConfig.Overrides overrides, EventLog events, String source) {
        this.paths = paths;
        this.overrides = overrides;
        this.events = events;
        this.source = source;
        this.runner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_WAITING), r -> {
            Thread t = new Thread(r, "alert-command");
            t.setDaemon(true);
            return t;
        }, (task, executor) -> LOG.warning("more than " + MAX_WAITING + " alerts waiting: one not passed on"));
    }

    @Override
    public void accept(Event alert) {
        runner.execute(() -> deliver(alert));
    }

    /** Runs the alert command for {@code alert} on this thread and waits for it (or its timeout). */
    public void deliver(Event alert) {
        Optional<AlertSpec> spec;
        try {
            spec = AlertSpec.read(paths.clusterXml(), overrides);
        } catch (XmlException e) {
            warn("alert not passed to the alert command: " + e.getMessage());
            return;
        }
        if (spec.isPresent()) {
            run(spec.get(), alert);
        }
    }

    private void run(AlertSpec spec, Event alert) {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", spec.command())
                .directory(paths.root().toFile())
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(paths.alertLog().toFile()));
        Map<String, String> env = pb.environment();
        env.put("MCP_ALERT_TIME", alert.time());
        env.put("MCP_ALERT_SOURCE", alert.source());
        env.put("MCP_ALERT_KIND", alert.kind());
        env.put("MCP_ALERT_MESSAGE", alert.message());
        env.put("MCP_CLUSTER", spec.cluster());
        env.put("MCP_NODE_ID", spec.nodeId());
        env.put("MCP_ROOT", paths.root().toString());
        Process p;
        try {
            Directories.ensure(paths.alertLog().getParent());
            p = pb.start();
        } catch (IOException e) {
            warn("cannot run the alert command '" + spec.command() + "': " + e.getMessage());
            return;
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write((EventLog.toJson(alert) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // A command that does not read its stdin is fine.
        }
        try {
            if (!p.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                warn("the alert command '" + spec.command() + "' was killed after " + spec.timeout().toSeconds()
                        + " s (<alert timeout>)");
            } else if (p.exitValue() != 0) {
                warn("the alert command '" + spec.command() + "' exited with status " + p.exitValue()
                        + "; its output is in " + paths.alertLog());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void warn(String message) {
        events.warning(source, "alert-command", message);
    }
}
