package io.mcp.failsafe;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.daemon.Daemon;
import io.mcp.core.event.AlertCommand;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code bin/mcp up}: the node agent that systemd starts. It runs in the foreground as
 * {@code mcp-failsafe}, starts {@code mcp-forker} and {@code mcp-master} and keeps them running
 * until SIGTERM or SIGINT, then stops them and exits 0.
 */
@Command(name = "up", sortOptions = false, sortSynopsis = false,
        description = "Run the node agent (mcp-failsafe) in the foreground: it starts mcp-forker and mcp-master "
                + "and restarts them when they exit, until SIGTERM or SIGINT.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            FailsafeMain.EXIT_OK + ":stopped by SIGTERM or SIGINT",
            FailsafeMain.EXIT_FAILED + ":could not start",
            FailsafeMain.EXIT_USAGE + ":invalid command line",
            FailsafeMain.EXIT_ALREADY_RUNNING + ":another mcp-failsafe runs for this root",
            FailsafeMain.EXIT_CONFIG + ":mcp-master or mcp-forker cannot start as configured (e.g. a bad cluster.xml)"})
public final class FailsafeMain implements Callable<Integer> {
    // The exit codes of bin/mcp, all in one place.
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;
    static final int EXIT_ALREADY_RUNNING = 3;
    static final int EXIT_CONFIG = Daemon.EXIT_CONFIG;

    /**
     * Lean JVM flags for the children; each has its own heap limit. A small initial heap, because
     * the default is the whole limit and allocation would touch all of its young generation; and
     * native memory freed after a burst (a hundred services starting at once) is handed back to
     * the system each second (an experimental flag of JDK 17.0.9+, ignored where unknown). One
     * compiler thread: a second one, started when methods queue up for compiling at start-up,
     * takes the processors from the services being started (100 running 0.77-0.80 -> 0.71-0.74 s
     * on 2 cores). The selector provider is named so that the first socket does not make the JDK
     * look for one in every jar on the class path (some 40 for the master: tens of milliseconds).
     */
    private static final List<String> LEAN_FLAGS = List.of("-XX:+UseSerialGC", "-Xss256k", "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1", "-Xms8m", "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+UnlockExperimentalVMOptions",
            "-XX:TrimNativeHeapInterval=1000",
            "-Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider");

    @Spec
    CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR",
            description = "the node's root directory (default: $MCP_ROOT, else the current directory)")
    Path root;

    @Option(names = "--node-id", paramLabel = "N", description = "this node's id, overriding cluster.xml")
    String nodeId;

    @Option(names = "--zk", paramLabel = "CONNECT",
            description = "ZooKeeper connect string or 'embedded', overriding cluster.xml")
    String zk;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    public static void main(String[] args) {
        Daemon.logOneLinePerRecord();
        FailsafeMain plain = plainUp(args);
        System.exit(plain != null ? plain.call() : commandLine().execute(args));
    }

    /**
     * The command line systemd and scripts use, {@code up} with {@code --root}, {@code --node-id}
     * and {@code --zk} each at most once and valid, parsed by hand: picocli would build its model
     * first, a tenth of a second before the forker and master are even launched. Anything else
     * (help, a mistake, an unusual spelling) returns null and goes to picocli, which handles it
     * as before.
     */
    static FailsafeMain plainUp(String[] args) {
        if (args.length == 0 || !args[0].equals("up")) {
            return null;
        }
        FailsafeMain m = new FailsafeMain();
        Map<String, String> values = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            String value;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return null;
            }
            if (!PLAIN_OPTIONS.contains(name) || value.isEmpty() || value.startsWith("-")
                    || values.put(name, value) != null) {
                return null;
            }
        }
        try {
            m.root = values.containsKey("--root") ? Path.of(values.get("--root")) : null;
            m.nodeId = values.get("--node-id");
            m.zk = values.get("--zk");
            new ClusterConfig.Overrides(m.nodeId, m.zk);
        } catch (IllegalArgumentException e) { // InvalidPathException is one
            return null;
        }
        return m;
    }

    private static final Set<String> PLAIN_OPTIONS = Set.of("--root", "--node-id", "--zk");

    /** {@code mcp} and its one command, {@code up}. */
    static CommandLine commandLine() {
        return new CommandLine(new Mcp())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("mcp: " + e.getMessage());
                    return EXIT_FAILED;
                });
    }

    @Override
    public Integer call() {
        try {
            new ClusterConfig.Overrides(nodeId, zk);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("mcp: " + e.getMessage());
            return EXIT_USAGE;
        }
        String home = System.getProperty("mcp.home");
        if (home == null) {
            System.err.println("mcp: the system property mcp.home is not set: start the node agent with bin/mcp");
            return EXIT_FAILED;
        }
        NodePaths paths = NodePaths.resolve(root);
        EventLog.deliverAlertsTo(new AlertCommand(paths, new ClusterConfig.Overrides(nodeId, zk),
                new EventLog(paths.eventsLog(), Clock.systemUTC()), NodePaths.FAILSAFE));
        return run(paths, children(Path.of(home), paths, nodeId, zk));
    }

    /** mcp-forker first: the master asks it to run actions as soon as it is up. */
    static List<Failsafe.Child> children(Path home, NodePaths paths, String nodeId, String zk) {
        List<String> masterProps = new ArrayList<>();
        if (nodeId != null) {
            masterProps.add("-Dmcp.node-id=" + nodeId);
        }
        if (zk != null) {
            masterProps.add("-Dmcp.zk=" + zk);
        }
        return List.of(
                child(home, paths, NodePaths.FORKER, List.of(), "-Xmx32m", "io.mcp.forker.ForkerMain"),
                child(home, paths, NodePaths.MASTER, masterProps, "-Xmx96m", "io.mcp.master.MasterMain"));
    }

    private static Failsafe.Child child(Path home, NodePaths paths, String name, List<String> props, String heap,
            String mainClass) {
        Path target = home.resolve(name).resolve("target");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dmcp.process=" + name);
        cmd.add("-Dmcp.root=" + paths.root());
        cmd.add("-Dmcp.lifeline=true");
        cmd.addAll(props);
        cmd.addAll(LEAN_FLAGS);
        cmd.add(heap);
        // The class-data archive bin/mcp makes after a build (an empty file: it could not be made).
        Path jsa = target.resolve(name + ".jsa");
        try {
            if (Files.size(jsa) > 0) {
                cmd.add("-XX:SharedArchiveFile=" + jsa);
                cmd.add("-Xlog:cds*=off"); // an archive out of date is skipped without a word
            }
        } catch (IOException e) {
            // none: the JVM's default archive only
        }
        cmd.add("-cp");
        cmd.add(classPath(target, name));
        cmd.add(mainClass);
        return new Failsafe.Child(name, cmd);
    }

    /**
     * {@code target/NAME.jar}, then the jars the build listed in {@code target/classpath}, in the
     * pom's order (bin/mcp makes the class-data archive with the very same list); {@code lib/*},
     * in directory order, for a build that has no list.
     */
    static String classPath(Path target, String name) {
        StringBuilder cp = new StringBuilder(target.resolve(name + ".jar").toString());
        try {
            for (String entry : Files.readString(target.resolve("classpath")).strip().split(":")) {
                if (!entry.isEmpty()) {
                    cp.append(':').append(target.resolve(entry));
                }
            }
            return cp.toString();
        } catch (IOException e) {
            return cp.append(':').append(target.resolve("lib")).append("/*").toString();
        }
    }

    /**
     * Runs a failsafe for {@code children} on this node until SIGTERM or SIGINT. Tests call it
     * with test children.
     */
    static int run(NodePaths paths, List<Failsafe.Child> children) {
        Os os = Os.linux();
        paths.ensureLayout();
        Path pidFile = paths.pidFile(NodePaths.FAILSAFE);
        Optional<ProcessInfo> other = Failsafe.liveProcess(os, pidFile, NodePaths.FAILSAFE)
                .filter(p -> p.pid() != os.pid());
        if (other.isPresent()) {
            System.err.println("mcp: mcp-failsafe is already running for " + paths.root() + " as pid "
                    + other.get().pid());
            return EXIT_ALREADY_RUNNING;
        }
        Daemon.nameProcess(NodePaths.FAILSAFE);
        try {
            Daemon.writePidFile(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + pidFile + ": " + e.getMessage(), e);
        }
        Failsafe failsafe = new Failsafe(paths, children, os, Clock.systemUTC(), Failsafe.Scheduler.daemonThread());
        // Our own handlers rather than the JVM's default, which would exit 143 before the children
        // are stopped. Installed before the children start, so no signal finds them unhandled.
        CountDownLatch stopRequested = new CountDownLatch(1);
        AtomicReference<String> configError = new AtomicReference<>();
        failsafe.onConfigError(why -> {
            configError.set(why);
            stopRequested.countDown();
        });
        for (String signal : List.of("TERM", "INT")) {
            Signal.handle(new Signal(signal), s -> {
                failsafe.stopRestarting();
                stopRequested.countDown();
            });
        }
        failsafe.start();
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failsafe.stop();
        if (configError.get() != null) {
            System.err.println("mcp: " + configError.get());
            return EXIT_CONFIG;
        }
        return EXIT_OK; // the PID file goes with the exit: Daemon.writePidFile's shutdown hook
    }

    /** The top command: {@code mcp COMMAND}. */
    @Command(name = "mcp", description = "MCP node agent.", subcommands = FailsafeMain.class,
            synopsisSubcommandLabel = "COMMAND")
    static final class Mcp implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("mcp: missing command");
            spec.commandLine().usage(spec.commandLine().getErr());
            return EXIT_USAGE;
        }
    }
}
