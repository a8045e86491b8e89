package io.mcp.forker;

import static org.junit.jupiter.api.Assertions.fail;

import io.mcp.core.os.Os;
import io.mcp.core.os.ProcessInfo;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.TestInfo;

/**
 * Test helpers: a marker put in the environment of every process a test starts, so that cleanup
 * finds them all (background children included, which inherit it), and waiting with a deadline.
 */
final class TestProcesses {
    static final String MARK_VARIABLE = "MCP_FORKER_TEST_MARK";
    static final Duration DEADLINE = Duration.ofSeconds(5);

    private TestProcesses() {
    }

    /** A mark unique to this run of this test, naming the test for whoever finds a leftover. */
    static String newMark(TestInfo test) {
        return test.getTestClass().map(Class::getSimpleName).orElse("") + "."
                + test.getTestMethod().map(Method::getName).orElse("") + "-" + UUID.randomUUID();
    }

    /**
     * SIGKILLs every process whose environment carries {@code mark}. A process in the middle of
     * execve(2) shows an empty environment for a moment, so scanning stops only after two scans
     * in a row, 20 ms apart, find nothing.
     */
    static void killMarked(String mark) throws IOException, InterruptedException {
        byte[] needle = ("\0" + MARK_VARIABLE + "=" + mark + "\0").getBytes(StandardCharsets.US_ASCII);
        for (int quietScans = 0; quietScans < 2; ) {
            quietScans = killMarkedOnce(needle) ? 0 : quietScans + 1;
            Thread.sleep(20);
        }
    }

    private static boolean killMarkedOnce(byte[] needle) throws IOException {
        boolean found = false;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                byte[] environ;
                try {
                    environ = Files.readAllBytes(proc.resolve("environ"));
                } catch (IOException e) {
                    continue; // gone meanwhile, or not ours to read
                }
                if (contains(environ, needle)) {
                    Os.linux().kill(Long.parseLong(proc.getFileName().toString()), Os.SIGKILL);
                    found = true;
                }
            }
        }
        return found;
    }

    private static boolean contains(byte[] environ, byte[] needle) {
        // environ is NUL-separated; a leading NUL in the needle anchors it at an entry's start.
        byte[] hay = new byte[environ.length + 1];
        System.arraycopy(environ, 0, hay, 1, environ.length);
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

    static void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + DEADLINE + ": " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static boolean alive(long pid) {
        return Os.linux().inspect(pid).map(ProcessInfo::alive).orElse(false);
    }
}
