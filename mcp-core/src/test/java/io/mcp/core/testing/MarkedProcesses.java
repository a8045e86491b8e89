package io.mcp.core.testing;

import io.mcp.core.os.Os;
import io.mcp.core.os.ProcessInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Finds and kills the processes a test started, even when it failed midway: each test puts a
 * unique mark in the command line or the environment of what it starts (children inherit the
 * environment), and cleanup SIGKILLs every process that carries it.
 */
public final class MarkedProcesses {
    private final String mark;

    /** A fresh random mark. */
    public MarkedProcesses() {
        this("mcptest" + UUID.randomUUID().toString().replace("-", ""));
    }

    /** A mark of the caller's, unique enough not to match anything else on the machine. */
    public MarkedProcesses(String mark) {
        this.mark = mark;
    }

    public String mark() {
        return mark;
    }

    public static boolean alive(long pid) {
        return Os.linux().inspect(pid).map(ProcessInfo::alive).orElse(false);
    }

    /**
     * SIGKILLs every process whose command line or environment holds the mark. A process in the
     * middle of execve(2) shows an empty environment for a moment, so this stops only after two
     * scans in a row find nothing.
     */
    public void killAll() {
        byte[] needle = mark.getBytes(StandardCharsets.US_ASCII);
        for (int quiet = 0; quiet < 2; ) {
            quiet = killOnce(needle) ? 0 : quiet + 1;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The live processes (zombies left out) that carry the mark now. */
    public java.util.List<Long> livePids() {
        byte[] needle = mark.getBytes(StandardCharsets.US_ASCII);
        java.util.List<Long> pids = new java.util.ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid != self && (holds(proc.resolve("cmdline"), needle) || holds(proc.resolve("environ"), needle))
                        && alive(pid)) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return pids;
    }

    private static boolean killOnce(byte[] needle) {
        boolean found = false;
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (pid != self && (holds(proc.resolve("cmdline"), needle) || holds(proc.resolve("environ"), needle))) {
                    Os.linux().kill(pid, Os.SIGKILL);
                    found = true;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    private static boolean holds(Path file, byte[] needle) {
        byte[] hay;
        try {
            hay = Files.readAllBytes(file);
        } catch (IOException e) {
            return false; // gone meanwhile, or not ours to read
        }
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
