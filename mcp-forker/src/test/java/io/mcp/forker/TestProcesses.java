package io.mcp.forker;

import io.mcp.core.testing.Await;
import io.mcp.core.testing.MarkedProcesses;
import java.lang.reflect.Method;
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
    static final Duration DEADLINE = Await.DEADLINE;

    private TestProcesses() {
    }

    /** A mark unique to this run of this test, naming the test for whoever finds a leftover. */
    static String newMark(TestInfo test) {
        return test.getTestClass().map(Class::getSimpleName).orElse("") + "."
                + test.getTestMethod().map(Method::getName).orElse("") + "-" + UUID.randomUUID();
    }

    /** SIGKILLs every process whose environment carries {@code mark}. */
    static void killMarked(String mark) {
        new MarkedProcesses(MARK_VARIABLE + "=" + mark).killAll();
    }

    static void waitUntil(String what, BooleanSupplier condition) {
        Await.until(condition, () -> what);
    }

    static boolean alive(long pid) {
        return MarkedProcesses.alive(pid);
    }
}
