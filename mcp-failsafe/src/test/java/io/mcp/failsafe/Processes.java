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
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

    /** Kills what a test started, and whatever MCP process the root's PID files still name. */
    static void killAll(NodePaths paths, List<Process> started) {
        started.forEach(Process::destroyForcibly);
        for (String name : List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER)) {
            Failsafe.liveProcess(OS, paths.pidFile(name), name).ifPresent(p -> OS.kill(p.pid(), Os.SIGKILL));
        }
    }
}
