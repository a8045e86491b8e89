package io.mcp.core.restart;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When to start a process again, for one service; mcp-failsafe follows the same rules, in C, for
 * the master and the forker. Facts go in (started, start failed, exited); a {@link Decision} comes out. Pure:
 * time comes from the injected clock, nothing sleeps or schedules here.
 *
 * <p>A process that crashes after a stable run (up at least {@code resetAfter}) is started again
 * at once. A failed start, or a crash soon after the last one, waits {@code initial}, then twice
 * as long each time, staying at {@code max}: 1 s, 2 s, 4 s ... 256 s, 256 s by default.
 */
public final class RestartPolicy {
    /** What to do next, and why. {@code delay} is zero for "now". */
    public record Decision(Duration delay, String reason) {
        public boolean immediate() {
            return delay.isZero();
        }
    }

    private final Clock clock;
    private final Duration initial;
    private final Duration max;
    private final Duration resetAfter;
    private int failures;
    private boolean quickRestartUsed;
    private Instant startedAt;

    public RestartPolicy(Clock clock, Duration initial, Duration max, Duration resetAfter) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.clock = clock;
        this.initial = initial;
        this.max = max;
        this.resetAfter = resetAfter;
    }

    /** The process is confirmed running. */
    public void started() {
        startedAt = clock.instant();
    }

    /** A start did not bring the process up. */
    public Decision startFailed(String why) {
        startedAt = null;
        failures++;
        return new Decision(backoff(), why);
    }

    /** A running process exited without being asked to. */
    public Decision exited(String why) {
        if (startedAt != null && !Duration.between(startedAt, clock.instant()).minus(resetAfter).isNegative()) {
            failures = 0;
            quickRestartUsed = false;
        }
        startedAt = null;
        if (!quickRestartUsed) {
            quickRestartUsed = true;
            return new Decision(Duration.ZERO, why);
        }
        failures++;
        return new Decision(backoff(), why + " (again within " + resetAfter.toSeconds() + " s)");
    }

    /**
     * From when an exit of the running process would be restarted at once, as {@link #exited}
     * would decide it: at once after a fresh start, or once the process has been up for the
     * reset window after a quick restart was used. Empty while the process is not running.
     * Whoever restarts ahead of {@link #exited} (the forker, armed by the master) may do so only
     * from this instant on, so that backoff after repeated failures is kept.
     */
    public java.util.Optional<Instant> immediateRestartFrom() {
        if (startedAt == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(quickRestartUsed ? startedAt.plus(resetAfter) : startedAt);
    }

    /** Forget past failures: an operator asked for a fresh start. */
    public void reset() {
        failures = 0;
        quickRestartUsed = false;
        startedAt = null;
    }

    /** Consecutive failures counted so far. */
    public int failures() {
        return failures;
    }

    private Duration backoff() {
        Duration d = initial;
        for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(max) > 0 ? max : d;
    }
}
