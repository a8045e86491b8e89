package io.mcp.failsafe;

import static org.junit.jupiter.api.Assertions.fail;

import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Starting, watching and cleaning up real processes in tests; every timeout comes from here. */
final class Processes {
    /** How long a JVM may take to come up, or a process to go, on a loaded 2-core machine. */
    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final Os OS = Os.linux();

    private Processes() {
    }

    /** Starts {@code command} with its output in {@code out}. */
    static Process start(List<String> command, Redirect stdin, Path out) {
        try {
            return new ProcessBuilder(command).redirectInput(stdin).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean alive(long pid) {
        return OS.inspect(pid).filter(ProcessInfo::alive).isPresent();
    }

    /** Waits for {@code name}'s PID file to name a live process other than {@code previous}; its PID. */
    static long awaitPidFile(NodePaths paths, String name, long previous) {
        long[] pid = {-1};
        await(name + " PID file naming a live process other than " + previous, PATIENCE, () -> {
            pid[0] = PidFiles.read(paths.pidFile(name)).orElse(-1);
            return pid[0] != previous && alive(pid[0]);
        });
        return pid[0];
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static List<Event> events(NodePaths paths) {
        try {
            return new EventLog(paths.eventsLog(), Clock.systemUTC()).tail(10_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The events {@code source} wrote of {@code kind}, oldest first. */
    static List<Event> events(NodePaths paths, String source, String kind) {
        return events(paths).stream().filter(e -> e.source().equals(source) && e.kind().equals(kind)).toList();
    }

    /** Waits until {@code source} has written at least {@code count} events of {@code kind}; those events. */
    static List<Event> awaitEvents(NodePaths paths, String source, String kind, int count) {
        await(count + " '" + kind + "' events of " + source, PATIENCE,
                () -> events(paths, source, kind).size() >= count);
        return events(paths, source, kind);
    }

    /** A child of the failsafe: its name, as in {@code ps} and its PID file, and its command line. */
    record Child(String name, List<String> command) {
        Child(String name, String... command) {
            this(name, List.of(command));
        }
    }

    /**
     * Starts mcp-failsafe, the program this module builds, on {@code paths}'s root with these
     * children and no alert program; its output in {@code failsafe.out} beside the root.
     */
    static Process failsafe(NodePaths paths, int timescale, Child... children) {
        return failsafe(paths, timescale, List.of(), children);
    }

    /** As above, with {@code alert} as the program that alerts are handed to. */
    static Process failsafe(NodePaths paths, int timescale, List<String> alert, Child... children) {
        List<String> words = new ArrayList<>();
        if (!alert.isEmpty()) {
            words.add("--alert");
            words.addAll(alert);
        }
        for (Child c : children) {
            words.add("--child");
            words.add(c.name());
            words.addAll(c.command());
        }
        Path spec = paths.root().resolveSibling("failsafe.spec");
        try {
            Files.writeString(spec, String.join("\0", words) + "\0");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return start(List.of(Path.of("target", "mcp-failsafe").toAbsolutePath().toString(), "--timescale",
                Integer.toString(timescale), "--spec", spec.toString(), paths.root().toString()),
                Redirect.from(new File("/dev/null")), failsafeOutput(paths));
    }

    static Path failsafeOutput(NodePaths paths) {
        return paths.root().resolveSibling("failsafe.out");
    }

    /** Kills what a test started, and whatever MCP process the root's PID files still name. */
    static void killAll(NodePaths paths, List<Process> started) {
        started.forEach(Process::destroyForcibly);
        for (String name : List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER)) {
            PidFiles.liveProcess(OS, paths.pidFile(name))
                    .filter(p -> p.matchesName(name) || ProcessHandle.of(p.pid())
                            .flatMap(h -> h.info().commandLine()).orElse("").contains(name))
                    .ifPresent(p -> OS.kill(p.pid(), Os.SIGKILL));
        }
    }
}
