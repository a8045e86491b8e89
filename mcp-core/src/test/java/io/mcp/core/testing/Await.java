package io.mcp.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting on a condition with a deadline, the one way tests wait. */
public final class Await {
    /** Generous, so a loaded 2-core machine does not fail a test that would pass. */
    public static final Duration DEADLINE = Duration.ofSeconds(30);

    private Await() {
    }

    /** Returns once {@code condition} holds; fails the test with {@code what} past the deadline. */
    public static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + DEADLINE.toSeconds() + " s: " + what.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what.get());
            }
        }
    }
}
