package io.mcp.core.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {
    /** A clock that moves only when told to. */
    static final class FakeClock extends java.time.Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final FakeClock clock = new FakeClock();
    private final RestartPolicy policy = new RestartPolicy(clock, Duration.ofSeconds(1), Duration.ofSeconds(256),
            Duration.ofSeconds(10));

    @Test
    void failedStartsBackOffDoublingUpTo256Seconds() {
        long[] expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256};
        for (int i = 0; i < expected.length; i++) {
            RestartPolicy.Decision d = policy.startFailed("exit 1");
            assertEquals(Duration.ofSeconds(expected[i]), d.delay(), "delay after failure " + (i + 1));
            clock.advance(d.delay());
        }
        assertEquals(expected.length, policy.failures());
    }

    @Test
    void crashAfterStableRunRestartsAtOnceAndResetsBackoff() {
        for (int i = 0; i < 5; i++) {
            policy.startFailed("exit 1");
        }
        policy.started();
        clock.advance(Duration.ofSeconds(10));
        RestartPolicy.Decision d = policy.exited("killed by signal 9");
        assertTrue(d.immediate());
        assertEquals(0, policy.failures());
        assertEquals(Duration.ofSeconds(1), policy.startFailed("exit 1").delay());
    }

    @Test
    void crashLoopIsNotAHotLoop() {
        // tick: seconds up before each crash; expected: the wait before the next start
        record Row(long upSeconds, long expectedDelay) { }
        Row[] table = {new Row(60, 0), new Row(1, 1), new Row(1, 2), new Row(1, 4), new Row(11, 0), new Row(2, 1)};
        for (Row row : table) {
            policy.started();
            clock.advance(Duration.ofSeconds(row.upSeconds()));
            assertEquals(Duration.ofSeconds(row.expectedDelay()), policy.exited("crash").delay(),
                    "after a run of " + row.upSeconds() + " s");
        }
    }

    @Test
    void stayingUpShorterThanTheResetWindowKeepsTheBackoff() {
        policy.startFailed("x");
        policy.startFailed("x");
        policy.startFailed("x"); // next would be 8 s
        policy.started();
        clock.advance(Duration.ofSeconds(9));
        assertEquals(Duration.ZERO, policy.exited("crash").delay(), "the first crash restarts at once");
        assertEquals(Duration.ofSeconds(8), policy.startFailed("x").delay());
    }

    @Test
    void immediateRestartFromAgreesWithTheDecisionOfEachExit() {
        // tick: seconds up before each crash; from: seconds after the start from which a crash is
        // restarted at once (-1: never while this run lasts); the decision is then checked against it.
        record Row(long upSeconds, long from, long expectedDelay) { }
        Row[] table = {new Row(60, 0, 0), new Row(1, 10, 1), new Row(1, 10, 2), new Row(1, 10, 4), new Row(11, 10, 0),
                new Row(2, 10, 1), new Row(0, 10, 2)};
        assertTrue(policy.immediateRestartFrom().isEmpty(), "not running: nothing to restart");
        for (Row row : table) {
            policy.started();
            Instant started = clock.instant();
            assertEquals(started.plusSeconds(row.from()), policy.immediateRestartFrom().orElseThrow(),
                    "before a run of " + row.upSeconds() + " s");
            clock.advance(Duration.ofSeconds(row.upSeconds()));
            boolean armed = !clock.instant().isBefore(policy.immediateRestartFrom().orElseThrow());
            RestartPolicy.Decision d = policy.exited("crash");
            assertEquals(Duration.ofSeconds(row.expectedDelay()), d.delay(), "after a run of " + row.upSeconds() + " s");
            assertEquals(d.immediate(), armed, "armed exactly when the exit is restarted at once");
            assertTrue(policy.immediateRestartFrom().isEmpty(), "exited: not running");
        }
    }

    @Test
    void backoffAfterRepeatedFailuresStillReaches256SecondsWithImmediateRestartFromAsked() {
        long[] expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 256};
        policy.started();
        policy.exited("first crash, restarted at once");
        for (int i = 0; i < expected.length; i++) {
            policy.started();
            assertTrue(clock.instant().isBefore(policy.immediateRestartFrom().orElseThrow()), "not armed in a crash loop");
            clock.advance(Duration.ofMillis(500));
            RestartPolicy.Decision d = policy.exited("crash");
            assertEquals(Duration.ofSeconds(expected[i]), d.delay(), "delay after crash " + (i + 2));
            clock.advance(d.delay());
        }
    }
}
