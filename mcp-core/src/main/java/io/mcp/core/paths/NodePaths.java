package io.mcp.core.paths;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where everything of one node lives, relative to its root directory. Nothing else in MCP
 * builds these paths.
 */
public final class NodePaths {
    public static final String FAILSAFE = "mcp-failsafe";
    public static final String MASTER = "mcp-master";
    public static final String FORKER = "mcp-forker";

    private final Path root;

    public NodePaths(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** {@code --root}, else {@code $MCP_ROOT}, else the current directory. */
    public static NodePaths resolve(Path rootOption) {
        if (rootOption != null) {
            return new NodePaths(rootOption);
        }
        String env = System.getenv("MCP_ROOT");
        return new NodePaths(Path.of(env == null || env.isBlank() ? "." : env));
    }

    public Path root() {
        return root;
    }

    public Path servicesDir() {
        return root.resolve("services.d");
    }

    public Path filesDir() {
        return root.resolve("files.d");
    }

    public Path overrideDir() {
        return root.resolve("override");
    }

    /** Per-service overrides of modifiable attributes, e.g. {@code enable}. */
    public Path serviceOverridesDir() {
        return overrideDir().resolve("services.d");
    }

    public Path serviceOverride(String service) {
        return serviceOverridesDir().resolve(service + ".xml");
    }

    public Path clusterXml() {
        return root.resolve("cluster.xml");
    }

    public Path varDir() {
        return root.resolve("var");
    }

    public Path runDir() {
        return varDir().resolve("run");
    }

    public Path logDir() {
        return varDir().resolve("log");
    }

    public Path mlist() {
        return varDir().resolve("mlist.xml");
    }

    public Path zkDataDir() {
        return varDir().resolve("zk");
    }

    /** {@code var/run/mcp-master.pid} and so on, for the three MCP processes. */
    public Path pidFile(String process) {
        return runDir().resolve(process + ".pid");
    }

    public Path forkerSocket() {
        return runDir().resolve("mcp-forker.sock");
    }

    public Path controlSocket() {
        return runDir().resolve("mcp-master.sock");
    }

    /** PID files the forker writes for foreground services (those with no pidfile of their own). */
    public Path foregroundPidFile(String service) {
        return runDir().resolve("services").resolve(service + ".pid");
    }

    public Path eventsLog() {
        return logDir().resolve("events.jsonl");
    }

    /** stdout and stderr of a service's actions and of the service itself. */
    public Path serviceLog(String service) {
        return logDir().resolve("services").resolve(service + ".log");
    }

    /**
     * {@code override/files.d/}: the cluster's copy of each propagated {@code files.d} file that
     * lives outside {@code override/}, as {@code override/files.d/NAME} for {@code files.d/NAME.xml}.
     */
    public Path clusterCopiesDir() {
        return overrideDir().resolve("files.d");
    }

    /** stdout and stderr of the change actions of {@code files.d/NAME.xml}. */
    public Path fileActionsLog(String name) {
        return logDir().resolve("files").resolve(name + ".log");
    }

    /** The content (md5) of every watched config file when its change actions last ran. */
    public Path configState() {
        return varDir().resolve("config-state.json");
    }

    /** stdout and stderr of {@code cluster.xml}'s alert command. */
    public Path alertLog() {
        return logDir().resolve("alert.log");
    }

    public Path processLog(String process) {
        return logDir().resolve(process + ".log");
    }

    /** A path from a definition: absolute as written, else relative to the root. */
    public Path resolveConfigured(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : root.resolve(p).normalize();
    }

    /** Creates every directory of the layout that is missing. */
    public NodePaths ensureLayout() {
        try {
            for (Path dir : new Path[] {servicesDir(), filesDir(), serviceOverridesDir(), runDir().resolve("services"),
                    logDir().resolve("services"), logDir().resolve("files"), zkDataDir()}) {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the node layout under " + root + ": " + e.getMessage(), e);
        }
        return this;
    }
}
