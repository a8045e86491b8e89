package io.mcp.master;

import static org.junit.jupiter.api.Assertions.fail;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.forker.ForkerServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * A node for tests: a root directory, a real forker on a real socket and a real master, in this
 * JVM. Services started through it carry a marker in their command line ({@link #sleep()}), so
 * {@link #close()} kills every process a test started, even when it failed midway.
 */
final class TestNode implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(20);

    final NodePaths paths;
    final String marker = Long.toString(ThreadLocalRandom.current().nextLong(100_000, 999_999));
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
        master = new Master(paths, Os.linux(), Clock.systemUTC(), settings());
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

    /** A command that sleeps for long and carries this node's marker, so cleanup finds it. */
    String sleep() {
        return "sleep 100000." + marker;
    }

    Path define(String file, String xml) throws IOException {
        Path tmp = paths.servicesDir().resolve("." + file + ".tmp");
        Files.writeString(tmp, xml, StandardCharsets.UTF_8);
        return Files.move(tmp, paths.servicesDir().resolve(file), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A foreground service running {@link #sleep()}. */
    String foreground(String name, boolean enabled) {
        return """
                <service name="%s" enable="%s">
                  <description>test service %s</description>
                  <process name="sleep"/>
                  <actionlist name="start"><action>%s</action></actionlist>
                </service>""".formatted(name, enabled ? 1 : 0, name, sleep());
    }

    /** A classic daemon: the start action backgrounds {@link #sleep()} and writes its PID file. */
    String daemon(String name, Path pidFile) {
        return """
                <service name="%s" enable="1">
                  <process name="sleep" pidfile="%s"/>
                  <actionlist name="start"><action><![CDATA[sh -c '%s >/dev/null 2>&1 & echo $! > %s']]></action></actionlist>
                </service>""".formatted(name, pidFile, sleep(), pidFile);
    }

    Optional<ServiceStatus> status(String name) {
        return master.supervision().status(name);
    }

    ServiceStatus awaitState(String name, String state) {
        await(() -> status(name).map(s -> state.equals(s.state())).orElse(false),
                () -> name + " to be " + state + ", is " + status(name).orElse(null));
        return status(name).orElseThrow();
    }

    static void await(BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    static boolean alive(long pid) {
        return Os.linux().inspect(pid).map(p -> p.alive()).orElse(false);
    }

    @Override
    public void close() {
        if (master != null) {
            master.close();
        }
        if (forker != null) {
            forker.close();
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains("100000." + marker)) {
                        Os.linux().kill(Long.parseLong(p.getFileName().toString()), Os.SIGKILL);
                    }
                } catch (IOException | RuntimeException gone) {
                    // exited while we looked
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
