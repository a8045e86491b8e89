package io.mcp.failsafe;

import static io.mcp.core.paths.NodePaths.FORKER;
import static io.mcp.core.paths.NodePaths.MASTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.Event;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Failsafe} in this JVM with real children, on a fake clock that moves only when told to. */
class FailsafeTest {
    @TempDir
    Path dir;
    private NodePaths paths;
    private final FakeTime time = new FakeTime();
    private final List<Process> started = new ArrayList<>();
    private Failsafe failsafe;

    @BeforeEach
    void setUp() {
        paths = new NodePaths(dir).ensureLayout();
    }

    @AfterEach
    void cleanUp() {
        try {
            if (failsafe != null) {
                failsafe.stop();
            }
        } finally {
            Processes.killAll(paths, started);
        }
    }

    private Failsafe failsafe(Failsafe.Child... children) {
        failsafe = new Failsafe(paths, List.of(children), Processes.OS, time, time);
        return failsafe;
    }

    /**
     * A child that takes half a second over its orderly stop, and notes whether its lifeline
     * closed meanwhile: a stop is SIGTERM alone, and the lifeline closes only once it has exited.
     */
    @Test
    void aStopIsSigtermAloneAndTheLifelineStaysOpenUntilTheChildHasExited() throws Exception {
        String script = "trap 'sleep 0.5; if [ -e closed ]; then echo closed; else echo open; fi > result; exit 0' TERM; "
                // fd 3: sh gives a background job /dev/null as its standard input
                + "exec 3<&0; (cat <&3 >/dev/null; touch closed) & touch ready; while :; do sleep 0.05; done";
        failsafe(new Failsafe.Child(MASTER, List.of("/bin/sh", "-c", script))).start();
        Processes.await("the child ready", Processes.PATIENCE, () -> Files.exists(dir.resolve("ready")));

        failsafe.stop();

        assertEquals(Failsafe.State.STOPPED, failsafe.status(MASTER).state());
        assertEquals("open", Files.readString(dir.resolve("result")).strip(), "the lifeline during the orderly stop");
        Processes.await("the lifeline closed after the exit", Processes.PATIENCE, () -> Files.exists(dir.resolve("closed")));
    }

    @Test
    void childKilledWithSigkillIsRestartedAtOnce() {
        failsafe(TestChild.child(paths, MASTER)).start();
        long first = Processes.awaitPidFile(paths, MASTER, -1);
        assertEquals(first, failsafe.status(MASTER).pid());

        Processes.OS.kill(first, Os.SIGKILL);
        // The fake clock stands still: only an immediate restart brings a new process.
        long second = Processes.awaitPidFile(paths, MASTER, first);
        assertFalse(Processes.alive(first), "the killed process is gone");
        assertEquals(new Failsafe.Status(Failsafe.State.RUNNING, second, 2, Duration.ZERO), failsafe.status(MASTER));
    }

    @Test
    void childThatKeepsDyingBacksOffDoublingTo256Seconds() {
        failsafe(new Failsafe.Child(MASTER, List.of("/bin/sh", "-c", "exit 3"))).start();
        long[] expectedDelays = {1, 2, 4, 8, 16, 32, 64, 128, 256, 256};
        // starts: the first exit brings start 2 at once, with no time passing
        for (int i = 0; i < expectedDelays.length; i++) {
            int starts = i + 2;
            Processes.await("backoff after start " + starts, Processes.PATIENCE, () ->
                    failsafe.status(MASTER).state() == Failsafe.State.BACKOFF && failsafe.status(MASTER).starts() == starts);
            Duration delay = failsafe.status(MASTER).backoff();
            assertEquals(Duration.ofSeconds(expectedDelays[i]), delay, "wait after start " + starts);

            time.advance(delay.minusMillis(1));
            assertEquals(starts, failsafe.status(MASTER).starts(), "no start before the wait is over");
            time.advance(Duration.ofMillis(1));
            assertEquals(starts + 1, failsafe.status(MASTER).starts(), "started when the wait is over");
        }
    }

    @Test
    void continuousFailureRaisesAlertsAt10And30MinutesOnceEach() {
        failsafe(new Failsafe.Child(MASTER, List.of(dir.resolve("no-such-program").toString())),
                new Failsafe.Child(FORKER, List.of("cat"))).start();
        assertEquals(Failsafe.State.BACKOFF, failsafe.status(MASTER).state());

        time.advance(Duration.ofMinutes(10).minusSeconds(11));
        assertEquals(0, alerts().size(), "no alert before 10 minutes");
        time.advance(Duration.ofSeconds(20));
        assertEquals(1, alerts().size(), "an alert at 10 minutes");
        time.advance(Duration.ofMinutes(20).minusSeconds(20));
        assertEquals(1, alerts().size(), "that alert once");
        time.advance(Duration.ofSeconds(20));
        assertEquals(2, alerts().size(), "a second alert at 30 minutes");
        time.advance(Duration.ofHours(1));
        assertEquals(2, alerts().size(), "that alert once too");

        for (Event alert : alerts()) {
            assertEquals(MASTER, alert.source(), "the healthy forker raises none");
            assertEquals("failing", alert.kind());
        }
        assertEquals(Failsafe.State.RUNNING, failsafe.status(FORKER).state());
    }

    private List<Event> alerts() {
        return Processes.events(paths).stream().filter(e -> e.level().equals("alert")).toList();
    }

    @Test
    void orphanOfAPreviousFailsafeIsKilledBeforeTheChildStarts() throws Exception {
        // Its stdin is a pipe from this test, so its lifeline never closes: it stays until killed.
        Process orphan = Processes.start(TestChild.child(paths, MASTER).command(), Redirect.PIPE,
                dir.resolve("orphan.out"));
        started.add(orphan);
        long orphanPid = Processes.awaitPidFile(paths, MASTER, -1);

        failsafe(TestChild.child(paths, MASTER)).start();
        assertFalse(Processes.alive(orphanPid), "gone before the new child is started");
        assertTrue(orphan.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(128 + Os.SIGKILL, orphan.exitValue(), "killed, not ended by its lifeline");
        assertTrue(Processes.events(paths).stream().anyMatch(e -> e.kind().equals("orphan-killed")));
        assertEquals(failsafe.status(MASTER).pid(), Processes.awaitPidFile(paths, MASTER, orphanPid));
    }

    @Test
    void configErrorAtTheFirstStartGivesUpWithTheChildsLastWords() {
        List<String> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        failsafe(new Failsafe.Child(MASTER, List.of("/bin/sh", "-c",
                "echo 'mcp-master: cluster configuration: cluster.xml:2: bad connect' >&2; exit 78")));
        failsafe.onConfigError(reported::add);
        failsafe.start();
        Processes.await("the configuration error reported", Processes.PATIENCE, () -> !reported.isEmpty());
        assertEquals(List.of("mcp-master cannot start: exited with status 78: "
                + "mcp-master: cluster configuration: cluster.xml:2: bad connect"), reported);
        assertEquals(new Failsafe.Status(Failsafe.State.STOPPED, -1, 1, Duration.ZERO), failsafe.status(MASTER));
        assertTrue(Processes.events(paths).stream().anyMatch(e -> e.kind().equals("config-error")));
    }

    @Test
    void configErrorAfterTheFirstStartIsAFailureLikeAnyOther() {
        List<String> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        // Fails with status 1 the first time, then with 78: it had started once as configured.
        failsafe(new Failsafe.Child(MASTER, List.of("/bin/sh", "-c",
                "if [ -e started ]; then exit 78; fi; touch started; exit 1")));
        failsafe.onConfigError(reported::add);
        failsafe.start();
        Processes.await("backing off after the second start", Processes.PATIENCE, () ->
                failsafe.status(MASTER).state() == Failsafe.State.BACKOFF && failsafe.status(MASTER).starts() == 2);
        assertEquals(List.of(), reported);
        assertEquals(Duration.ofSeconds(1), failsafe.status(MASTER).backoff());
    }
}
