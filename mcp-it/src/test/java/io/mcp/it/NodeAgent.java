package io.mcp.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import io.mcp.core.testing.Await;
import io.mcp.core.testing.MarkedProcesses;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A node agent as an operator runs it: {@code bin/mcp up --root DIR} in its own process, and
 * {@code bin/mcpctl} for every question. The agent runs with a mark in its environment, which
 * the MCP processes and every service inherit, so {@link #close()} stops everything it started
 * even when a test failed midway.
 */
final class NodeAgent implements AutoCloseable {
    static final Duration DEADLINE = Await.DEADLINE;
    static final Path HOME = Path.of(System.getProperty("mcp.home", "..")).toAbsolutePath().normalize();

    final NodePaths paths;
    private final MarkedProcesses started = new MarkedProcesses();
    private final List<Process> agents = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private Process agent;

    /** A single-node cluster whose embedded ZooKeeper listens on a free port of its own. */
    NodeAgent(Path root) throws IOException {
        this(root, """
                <cluster name="it">
                  <zookeeper connect="embedded" port="%d"/>
                  <node id="1"/>
                </cluster>
                """.formatted(freePort()));
    }

    /** Node 1 of a single-node cluster on the ZooKeeper at {@code connect}, with a short session. */
    static NodeAgent onZooKeeper(Path root, String connect) throws IOException {
        return new NodeAgent(root, """
                <cluster name="it">
                  <zookeeper connect="%s" session-timeout="2s"/>
                  <node id="1"/>
                </cluster>
                """.formatted(connect));
    }

    /** A node whose {@code cluster.xml} is {@code clusterXml}, as written. */
    static NodeAgent withClusterXml(Path root, String clusterXml) throws IOException {
        return new NodeAgent(root, clusterXml);
    }

    private NodeAgent(Path root, String clusterXml) throws IOException {
        paths = new NodePaths(root).ensureLayout();
        if (!Files.isRegularFile(HOME.resolve("mcp-master/target/mcp-master.jar"))) {
            fail("the node agent is not built under " + HOME + ": run mvn verify from the repository root");
        }
        Files.writeString(paths.clusterXml(), clusterXml);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts {@code bin/mcp up} and waits until the master answers. */
    NodeAgent up() throws IOException {
        start();
        await(() -> mcpctl("status", "--json").exit() == 0, () -> "the master to answer; agent output:\n" + agentOutput());
        return this;
    }

    /** Starts the agent with {@code name=value} in its environment. */
    NodeAgent withEnvironment(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Starts {@code bin/mcp up}, its output (stdout and stderr) going to {@link #agentOutput()}. */
    Process start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(HOME.resolve("bin/mcp").toString(), "up", "--root", paths.root().toString());
        File log = paths.root().resolve("agent.out").toFile();
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        pb.environment().putAll(environment);
        pb.environment().put("MCP_TEST_MARK", started.mark());
        agent = pb.start();
        agents.add(agent);
        return agent;
    }

    Process agent() {
        return agent;
    }

    String agentOutput() {
        try {
            return Files.readString(paths.root().resolve("agent.out"));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }
    }

    Result mcpctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(HOME.resolve("bin/mcpctl").toString(), "--root", paths.root().toString()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(paths.root(), "ctl", ".out");
            Path err = Files.createTempFile(paths.root(), "ctl", ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("mcpctl " + String.join(" ", args) + " did not finish");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The service as {@code mcpctl services NAME --json} shows it. */
    JsonNode service(String name) {
        Result r = mcpctl("services", name, "--json");
        return r.exit() == 0 ? r.json() : null;
    }

    String state(String name) {
        JsonNode s = service(name);
        return s == null ? "(unknown)" : s.path("state").asText();
    }

    long pid(String name) {
        JsonNode s = service(name);
        return s == null || s.path("pid").isNull() ? -1 : s.path("pid").asLong();
    }

    long awaitRunning(String name) {
        await(() -> "running".equals(state(name)), () -> name + " to be running, is " + service(name));
        return pid(name);
    }

    OptionalLong processPid(String process) {
        return PidFiles.read(paths.pidFile(process));
    }

    void define(String name, String xml) throws IOException {
        Path tmp = paths.servicesDir().resolve("." + name + ".xml.tmp");
        Files.writeString(tmp, xml);
        Files.move(tmp, paths.servicesDir().resolve(name + ".xml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A foreground service running a long sleep. */
    void defineForeground(String name, boolean enabled) throws IOException {
        define(name, definition(name, enabled));
    }

    String definition(String name, boolean enabled) {
        return """
                <service name="%s" enable="%s">
                  <description>end-to-end %s</description>
                  <process name="sleep"/>
                  <actionlist name="start"><action>sleep 100000</action></actionlist>
                </service>""".formatted(name, enabled ? 1 : 0, name);
    }

    static boolean alive(long pid) {
        return MarkedProcesses.alive(pid);
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        Await.until(condition, what);
    }

    @Override
    public void close() {
        agents.forEach(Process::destroyForcibly);
        started.killAll();
    }
}
