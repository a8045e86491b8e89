package io.mcp.master;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.testing.Await;
import io.mcp.core.testing.MarkedProcesses;
import io.mcp.master.supervise.Conditions;
import io.mcp.forker.ForkerServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A node for tests: a root directory, a real forker on a real socket and a real master, in this
 * JVM. Services defined with {@link #mark()} carry a mark in their environment, so
 * {@link #close()} kills every process a test started, even when it failed midway.
 */
final class TestNode implements AutoCloseable {
    final NodePaths paths;
    private final MarkedProcesses started = new MarkedProcesses();
    private ForkerServer forker;
    private Master master;

    TestNode(Path root) throws IOException {
        paths = new NodePaths(root).ensureLayout();
    }

    static Master.Settings settings() {
        return new Master.Settings(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(20),
                Duration.ofSeconds(1), Duration.ofSeconds(5), null, "1");
    }

    TestNode startForker() throws IOException {
        forker = new ForkerServer(paths);
        return this;
    }

    TestNode startMaster() throws IOException {
        return startMaster(Conditions.STANDALONE);
    }

    TestNode startMaster(Conditions initial) throws IOException {
        master = new Master(paths, Os.linux(), Clock.systemUTC(), settings(), initial);
        return this;
    }

    void stopMaster() {
        master.close();
        master = null;
    }

    void stopForker() {
        forker.close();
        forker = null;
    }

    Master master() {
        return master;
    }

    /** A command that sleeps for long. */
    String sleep() {
        return "sleep 100000";
    }

    /**
     * An {@code <env>} setting to put in every test service's {@code <process>}: the forker gives
     * it to everything it starts for the service, so {@link #close()} finds those processes.
     */
    String mark() {
        return "<env name=\"MCP_TEST_MARK\" value=\"" + markValue() + "\"/>";
    }

    /** The mark itself, for a process a test starts on its own. */
    String markValue() {
        return started.mark();
    }

    /** The live processes this node's test services started (all of them, children included). */
    java.util.List<Long> runningProcesses() {
        return started.livePids();
    }

    Path define(String file, String xml) throws IOException {
        Path tmp = paths.servicesDir().resolve("." + file + ".tmp");
        Files.writeString(tmp, xml, StandardCharsets.UTF_8);
        return Files.move(tmp, paths.servicesDir().resolve(file), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A foreground service running {@link #sleep()}. */
    String foreground(String name, boolean enabled) {
        return foreground(name, enabled, "");
    }

    /** A foreground service running {@link #sleep()}, with these {@code options}. */
    String foreground(String name, boolean enabled, String options) {
        return """
                <service name="%s" enable="%s" options="%s">
                  <description>test service %s</description>
                  <process name="sleep">%s</process>
                  <actionlist name="start"><action>%s</action></actionlist>
                </service>""".formatted(name, enabled ? 1 : 0, options, name, mark(), sleep());
    }

    /** A classic daemon: the start action backgrounds {@link #sleep()} and writes its PID file. */
    String daemon(String name, Path pidFile) {
        return """
                <service name="%s" enable="1">
                  <process name="sleep" pidfile="%s">%s</process>
                  <actionlist name="start"><action><![CDATA[sh -c '%s >/dev/null 2>&1 & echo $! > %s']]></action></actionlist>
                </service>""".formatted(name, pidFile, mark(), sleep(), pidFile);
    }

    Optional<ServiceStatus> status(String name) {
        return master.supervision().status(name);
    }

    ServiceStatus awaitState(String name, String state) {
        await(() -> status(name).map(s -> state.equals(s.state())).orElse(false),
                () -> name + " to be " + state + ", is " + status(name).orElse(null));
        return status(name).orElseThrow();
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        Await.until(condition, what);
    }

    static boolean alive(long pid) {
        return MarkedProcesses.alive(pid);
    }

    @Override
    public void close() {
        if (master != null) {
            master.close();
        }
        if (forker != null) {
            forker.close();
        }
        started.killAll();
    }
}
