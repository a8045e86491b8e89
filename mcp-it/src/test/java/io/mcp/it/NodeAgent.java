package io.mcp.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A node agent as an operator runs it: {@code bin/mcp up --root DIR} in its own process, and
 * {@code bin/mcpctl} for every question. {@link #close()} stops everything it started, services
 * included (they carry a marker in their command line), even when a test failed midway.
 */
final class NodeAgent implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(40);
    static final Path HOME = Path.of(System.getProperty("mcp.home", "..")).toAbsolutePath().normalize();

    final NodePaths paths;
    final String marker = Long.toString(ThreadLocalRandom.current().nextLong(100_000, 999_999));
    private final List<Process> agents = new ArrayList<>();
    private Process agent;

    NodeAgent(Path root) {
        paths = new NodePaths(root).ensureLayout();
        if (!Files.isRegularFile(HOME.resolve("mcp-master/target/mcp-master.jar"))) {
            fail("the node agent is not built under " + HOME + ": run mvn verify from the repository root");
        }
    }

    /** Starts {@code bin/mcp up} and waits until the master answers. */
    NodeAgent up() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(HOME.resolve("bin/mcp").toString(), "up", "--root", paths.root().toString());
        File log = paths.root().resolve("agent.out").toFile();
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
        agent = pb.start();
        agents.add(agent);
        await(() -> mcpctl("status", "--json").exit() == 0, () -> "the master to answer; agent output:\n" + agentOutput());
        return this;
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

    /** A foreground service running a long sleep that carries this agent's marker. */
    void defineForeground(String name, boolean enabled) throws IOException {
        define(name, """
                <service name="%s" enable="%s">
                  <description>end-to-end %s</description>
                  <process name="sleep"/>
                  <actionlist name="start"><action>sleep 100000.%s</action></actionlist>
                </service>""".formatted(name, enabled ? 1 : 0, name, marker));
    }

    static boolean alive(long pid) {
        return pid > 0 && Os.linux().inspect(pid).map(p -> p.alive()).orElse(false);
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    @Override
    public void close() {
        for (Process p : agents) {
            p.destroyForcibly();
        }
        for (String process : List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER)) {
            processPid(process).ifPresent(pid -> {
                if (Os.linux().inspect(pid).map(i -> i.argv0().contains("java")).orElse(false)) {
                    Os.linux().kill(pid, Os.SIGKILL);
                }
            });
        }
        killMarked();
    }

    private void killMarked() {
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
