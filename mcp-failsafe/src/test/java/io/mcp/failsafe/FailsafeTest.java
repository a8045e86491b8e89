package io.mcp.failsafe;

import static io.mcp.core.paths.NodePaths.FAILSAFE;
import static io.mcp.core.paths.NodePaths.FORKER;
import static io.mcp.core.paths.NodePaths.MASTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.Event;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.failsafe.Processes.Child;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mcp-failsafe, the C program, with real children, seen through the events it writes. Where a
 * rule takes minutes (backoff, alerts), {@code --timescale} runs its restart and alert clock faster:
 * "next start in 4 s" then comes after 4/N real seconds.
 */
class FailsafeTest {
    @TempDir
    Path dir;
    private NodePaths paths;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() {
        paths = new NodePaths(dir.resolve("root")).ensureLayout();
    }

    @AfterEach
    void cleanUp() {
        Processes.killAll(paths, started);
    }

    private Process failsafe(int timescale, Child... children) {
        return failsafe(timescale, List.of(), children);
    }

    private Process failsafe(int timescale, List<String> alert, Child... children) {
        Process p = Processes.failsafe(paths, timescale, alert, children);
        started.add(p);
        return p;
    }

    private static Child sh(String name, String script) {
        return new Child(name, "/bin/sh", "-c", script);
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
        Process failsafe = failsafe(1, sh(MASTER, script));
        Path root = paths.root();
        Processes.await("the child ready", Processes.PATIENCE, () -> Files.exists(root.resolve("ready")));

        failsafe.destroy();

        assertTrue(failsafe.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS), "the failsafe exits");
        assertEquals(0, failsafe.exitValue());
        assertEquals("open", Files.readString(root.resolve("result")).strip(), "the lifeline during the orderly stop");
        Processes.await("the lifeline closed after the exit", Processes.PATIENCE, () -> Files.exists(root.resolve("closed")));
        assertEquals(List.of("started", "stopping", "stopped"),
                Processes.events(paths).stream().map(Event::kind).toList());
        assertEquals("stopping -> stopped (exited with status 0)", Processes.events(paths, MASTER, "stopped").get(0).message());
    }

    @Test
    void childKilledWithSigkillIsRestartedAtOnce() {
        failsafe(1, TestChild.child(paths, MASTER));
        long first = Processes.awaitPidFile(paths, MASTER, -1);

        Processes.OS.kill(first, Os.SIGKILL);

        long second = Processes.awaitPidFile(paths, MASTER, first);
        assertFalse(Processes.alive(first), "the killed process is gone");
        assertEquals("running -> backoff (exited with status 137; restarting now)",
                Processes.events(paths, MASTER, "exited").get(0).message());
        assertEquals("backoff -> running (pid " + second + ")",
                Processes.awaitEvents(paths, MASTER, "started", 2).get(1).message());
    }

    /** At 100 times the speed: 1 s of backoff is 10 ms, the reset window of 10 s is 100 ms. */
    @Test
    void childThatKeepsDyingBacksOffDoublingTo256Seconds() {
        failsafe(100, sh(MASTER, "exit 3"));
        List<Event> exits = Processes.awaitEvents(paths, MASTER, "exited", 11);
        List<Event> starts = Processes.events(paths, MASTER, "started");

        assertEquals("running -> backoff (exited with status 3; restarting now)", exits.get(0).message());
        long[] expectedDelays = {1, 2, 4, 8, 16, 32, 64, 128, 256, 256};
        for (int i = 0; i < expectedDelays.length; i++) {
            Event exit = exits.get(i + 1);
            assertEquals("running -> backoff (exited with status 3 (again within 10 s); next start in "
                    + expectedDelays[i] + " s)", exit.message(), "exit " + (i + 2));
            if (i + 1 < expectedDelays.length) {
                // start i + 3 follows exit i + 2 (the first two starts are at once): not before the wait is over
                Duration waited = Duration.between(Instant.parse(exit.time()), Instant.parse(starts.get(i + 2).time()));
                assertTrue(waited.toMillis() >= expectedDelays[i] * 1000 / 100 - 1,
                        "waited " + waited.toMillis() + " ms after exit " + (i + 2));
            }
        }
    }

    /**
     * At 1,000 times the speed: 10 minutes are 0.6 s. The master cannot be started at all; each
     * alert goes through {@link AlertMain} to the alert command of cluster.xml.
     */
    @Test
    void continuousFailureRaisesAlertsAt10And30MinutesOnceEach() throws Exception {
        Files.writeString(paths.clusterXml(), "<cluster name=\"lab\"><node id=\"n1\"/>"
                + "<alert command=\"cat >> alerts.jsonl\"/></cluster>");
        Path program = dir.resolve("no-such-program");
        failsafe(1000, TestChild.java("-Dmcp.root=" + paths.root(), AlertMain.class),
                new Child(FORKER, "cat"), new Child(MASTER, program.toString()));

        List<Event> alerts = Processes.awaitEvents(paths, MASTER, "failing", 2);
        // An hour later, at this speed: 14 more failed starts, 256 s apart.
        int failedSoFar = Processes.events(paths, MASTER, "start-failed").size();
        Processes.awaitEvents(paths, MASTER, "start-failed", failedSoFar + 14);

        List<Event> allAlerts = Processes.events(paths).stream().filter(e -> e.level().equals("alert")).toList();
        assertEquals(alerts, allAlerts, "two alerts, both the master's: the healthy forker raises none");
        Event firstFailure = Processes.events(paths, MASTER, "start-failed").get(0);
        assertEquals("stopped -> backoff (cannot start: cannot run " + program + ": No such file or directory; "
                + "next start in 1 s)", firstFailure.message());
        Instant failingSince = Instant.parse(firstFailure.time());
        long[] minutes = {10, 30};
        for (int i = 0; i < 2; i++) {
            assertEquals("failing for " + minutes[i] + " minutes; last: cannot start: cannot run " + program
                    + ": No such file or directory", alerts.get(i).message());
            long after = Duration.between(failingSince, Instant.parse(alerts.get(i).time())).toMillis();
            assertTrue(after >= minutes[i] * 60 - 1, "alert " + (i + 1) + " after " + after + " ms");
        }
        assertEquals(List.of(), Processes.events(paths, FORKER, "exited"), "the forker ran throughout");

        Path delivered = paths.root().resolve("alerts.jsonl");
        Processes.await("both alerts passed to the alert command", Processes.PATIENCE,
                () -> Files.exists(delivered) && lines(delivered).size() == 2);
        for (String line : lines(delivered)) {
            assertTrue(line.contains("\"level\":\"alert\",\"source\":\"mcp-master\",\"kind\":\"failing\""), line);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void orphanOfAPreviousFailsafeIsKilledBeforeTheChildStarts() throws Exception {
        // Its stdin is a pipe from this test, so its lifeline never closes: it stays until killed.
        Process orphan = Processes.start(TestChild.child(paths, MASTER).command(), Redirect.PIPE,
                dir.resolve("orphan.out"));
        started.add(orphan);
        long orphanPid = Processes.awaitPidFile(paths, MASTER, -1);

        failsafe(1, TestChild.child(paths, MASTER));

        long pid = Processes.awaitPidFile(paths, MASTER, orphanPid);
        assertTrue(orphan.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(128 + Os.SIGKILL, orphan.exitValue(), "killed, not ended by its lifeline");
        List<Event> events = Processes.events(paths);
        assertEquals(List.of("orphan-killed", "started"), events.stream().map(Event::kind).toList(),
                "killed before the new child started");
        assertEquals("pid " + orphanPid + " (java) of a previous mcp-failsafe was still running after 2 s: sent SIGKILL",
                events.get(0).message());
        assertEquals("stopped -> running (pid " + pid + ")", events.get(1).message());
    }

    @Test
    void configErrorAtTheFirstStartGivesUpWithTheChildsLastWords() throws Exception {
        Process failsafe = failsafe(1, new Child(FORKER, "cat"), sh(MASTER,
                "echo 'mcp-master: cluster configuration: cluster.xml:2: bad connect' >&2; exit 78"));

        assertTrue(failsafe.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS), "the failsafe gives up");
        assertEquals(78, failsafe.exitValue());
        List<String> said = Files.readAllLines(Processes.failsafeOutput(paths));
        assertEquals("mcp: mcp-master cannot start: exited with status 78: "
                + "mcp-master: cluster configuration: cluster.xml:2: bad connect", said.get(said.size() - 1));
        assertEquals(1, Processes.events(paths, MASTER, "config-error").size());
        assertEquals("stopping -> stopped (exited with status 143)",
                Processes.events(paths, FORKER, "stopped").get(0).message(), "the forker stopped too");
        assertFalse(Files.exists(paths.pidFile(FAILSAFE)), "no PID file left");
    }

    @Test
    void configErrorAfterTheFirstStartIsAFailureLikeAnyOther() {
        // Fails with status 1 the first time, then with 78: it had started once as configured.
        Process failsafe = failsafe(1, sh(MASTER, "if [ -e started ]; then exit 78; fi; touch started; exit 1"));

        List<Event> exits = Processes.awaitEvents(paths, MASTER, "exited", 2);

        assertEquals("running -> backoff (exited with status 78 (again within 10 s); next start in 1 s)",
                exits.get(1).message());
        assertTrue(failsafe.isAlive(), "still running");
        assertEquals(List.of(), Processes.events(paths, MASTER, "config-error"));
    }

    @Test
    void aCommandLineWithoutASpecIsRefusedWithItsUsage() throws Exception {
        Process p = Processes.start(List.of(Path.of("target", "mcp-failsafe").toAbsolutePath().toString(),
                paths.root().toString()), Redirect.PIPE, dir.resolve("usage.out"));
        started.add(p);
        assertTrue(p.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(Files.readString(dir.resolve("usage.out")).startsWith(
                "mcp-failsafe: expected --spec FILE and the node's root, an absolute path\nusage: "));
    }
}
