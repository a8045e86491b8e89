package io.mcp.core.daemon;

import io.mcp.core.os.PidFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/** What each MCP process does to be one: its name in {@code ps}, its PID file, its lifeline. */
public final class Daemon {
    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
    /**
     * The exit status of a process that cannot start as configured (sysexits' EX_CONFIG): no
     * restart will help until an operator changes a file.
     */
    public static final int EXIT_CONFIG = 78;

    private Daemon() {
    }

    /**
     * Logs through {@link LogLine}: one line per record, cheap to format. What went to standard
     * error goes there through a {@link BatchedHandler}: routine lines in batches, off the threads
     * that do the work they report.
     */
    public static void logOneLinePerRecord() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                StreamHandler err = new StreamHandler(System.err, new LogLine());
                err.setLevel(h.getLevel());
                root.removeHandler(h);
                root.addHandler(new BatchedHandler(err));
            } else {
                h.setFormatter(new LogLine());
            }
        }
    }

    /** Names this JVM as {@code ps -o comm} shows it, e.g. {@code mcp-master}. Best effort. */
    public static void nameProcess(String name) {
        try {
            Files.writeString(Path.of("/proc/self/comm"), name.length() > 15 ? name.substring(0, 15) : name,
                    StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            LOG.fine("cannot rename process: " + e);
        }
    }

    /** Writes this process's PID file and removes it at a normal exit if it still names us. */
    public static void writePidFile(Path file) throws IOException {
        long self = ProcessHandle.current().pid();
        PidFiles.write(file, self);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (PidFiles.read(file).orElse(-1) == self) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a stale PID file is recognised by its dead PID
                }
            }
        }, "pidfile-cleanup"));
    }

    /**
     * Exits this JVM when standard input reaches end of file. The failsafe holds the other end
     * of a pipe on our stdin: when it dies, even by SIGKILL, the kernel closes that end and we
     * follow within 2 s (shutdown hooks get 1.5 s), so the three processes stay down together.
     */
    public static void exitWhenStdinCloses(String who) {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[64];
            try {
                while (in.read(buf) >= 0) {
                    // the failsafe writes nothing; anything read is ignored
                }
            } catch (IOException e) {
                // treated as end of file
            }
            LOG.warning(who + ": lifeline to mcp-failsafe closed, exiting");
            Thread guard = new Thread(() -> {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException ignored) {
                    // halting anyway
                }
                Runtime.getRuntime().halt(0);
            }, "lifeline-halt");
            guard.setDaemon(true);
            guard.start();
            System.exit(0);
        }, "lifeline");
        t.setDaemon(true);
        t.start();
    }
}
