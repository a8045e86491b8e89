package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.master.override.ServiceOverrides;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The forker restarting a crashed service on its own, armed by the master: real processes, a
 * real forker on its real socket, a real master.
 */
class RestartArmTest extends NodeTest {

    private List<Event> crashes(String service) {
        try {
            return new EventLog(node.paths.eventsLog(), Clock.systemUTC()).tail(1000).stream()
                    .filter(e -> service.equals(e.source()) && "crashed".equals(e.kind())).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private ServiceStatus awaitArmed(String service) {
        TestNode.await(() -> node.status(service).map(s -> "running".equals(s.state())
                        && Boolean.TRUE.equals(s.restartArmed())).orElse(false),
                () -> service + " to run with its restart armed, is " + node.status(service).orElse(null));
        return node.status(service).orElseThrow();
    }

    @Test
    void aCrashIsRestartedByTheForkerAndStillRecordedAsACrash() throws Exception {
        node.define("a.xml", node.foreground("a", true));
        node.startMaster();
        long first = awaitArmed("a").pid();

        Os.linux().kill(first, Os.SIGKILL);

        TestNode.await(() -> node.status("a").map(s -> "running".equals(s.state()) && s.pid() != first).orElse(false),
                () -> "a to run under a new pid, is " + node.status("a").orElse(null));
        ServiceStatus after = node.status("a").orElseThrow();
        assertEquals(1, after.restarts());
        assertEquals(after.pid(), PidFiles.read(node.paths.foregroundPidFile("a")).getAsLong());
        List<Event> crashes = crashes("a");
        assertEquals(1, crashes.size(), crashes::toString);
        assertTrue(crashes.get(0).message().contains("process " + first + " exited unexpectedly; mcp-forker restarted it as pid "
                + after.pid()), crashes.get(0).message());
        assertEquals(List.of(after.pid()), node.runningProcesses(), "one copy runs");
        // Armed again for the next crash, which is restarted at once as well (a fresh start).
        long second = awaitArmed("a").pid();
        assertEquals(after.pid(), second);
    }

    @Test
    void aStopIsDisarmedFirstSoTheForkerNeverRestartsWhatItStops() throws Exception {
        node.define("s.xml", node.foreground("s", true));
        node.startMaster();
        long pid = awaitArmed("s").pid();

        new ServiceOverrides(node.paths).setEnabled("s", false);

        node.awaitState("s", "stopped");
        assertFalse(TestNode.alive(pid));
        assertEquals(List.of(), crashes("s"), "the stop's SIGTERM is no crash, and nothing restarted the service");
        assertEquals(List.of(), node.runningProcesses());
        assertEquals(0, node.status("s").orElseThrow().restarts());
        assertEquals(pid, PidFiles.read(node.paths.foregroundPidFile("s")).orElse(pid), "no new process was spawned");
    }

    @Test
    void aDeathJustBeforeTheStopIsRestartedByTheForkerAndThatProcessIsStoppedToo() throws Exception {
        node.define("x.xml", node.foreground("x", true));
        node.startMaster();
        long pid = awaitArmed("x").pid();

        // The master's loop is held: it decides the stop before it learns of the death, while
        // the forker has already restarted the service; its disarm answers with the new process.
        node.master().runOnLoop(() -> {
            Os.linux().kill(pid, Os.SIGKILL);
            TestNode.await(() -> PidFiles.read(node.paths.foregroundPidFile("x")).orElse(pid) != pid,
                    () -> "the forker to restart x");
            node.master().supervision().enableOverride("x", java.util.Optional.of(false));
        });

        node.awaitState("x", "stopped");
        TestNode.await(() -> node.runningProcesses().isEmpty(), () -> "the restarted process to be stopped, found "
                + node.runningProcesses());
        List<Event> crashes = crashes("x");
        assertEquals(1, crashes.size(), crashes::toString);
        assertTrue(crashes.get(0).message().endsWith("which is stopped"), crashes.get(0).message());
    }

    @Test
    void disablingRightAfterTheStartNeverLeavesARestartedProcess() throws Exception {
        for (int round = 0; round < 4; round++) {
            String name = "d" + round;
            node.define(name + ".xml", node.foreground(name, true));
            if (round == 0) {
                node.startMaster();
            }
            long pid = round % 2 == 0 ? awaitArmed(name).pid() : node.awaitState(name, "running").pid();
            // The death races the stop: before it (odd rounds), or just after it.
            if (round % 2 == 1) {
                Os.linux().kill(pid, Os.SIGKILL);
            }
            new ServiceOverrides(node.paths).setEnabled(name, false);
            if (round % 2 == 0) {
                Os.linux().kill(pid, Os.SIGKILL);
            }
            node.awaitState(name, "stopped");
            TestNode.await(() -> node.runningProcesses().isEmpty(),
                    () -> "no process of the disabled service left, found " + node.runningProcesses() + "; "
                            + node.status(name).orElse(null));
            // Settled: still nothing once the master has answered another request.
            node.define(name + "-probe.xml", node.foreground(name + "-probe", false));
            TestNode.await(() -> node.status(name + "-probe").isPresent(), () -> "the probe service");
            assertEquals(List.of(), node.runningProcesses());
            assertFalse(Boolean.TRUE.equals(node.status(name).orElseThrow().restartArmed()));
        }
    }

    @Test
    void removingTheDefinitionDisarmsBeforeTheStop() throws Exception {
        java.nio.file.Path f = node.define("r.xml", node.foreground("r", true));
        node.startMaster();
        long pid = awaitArmed("r").pid();

        java.nio.file.Files.delete(f);
        Os.linux().kill(pid, Os.SIGKILL);

        TestNode.await(() -> node.status("r").isEmpty(), () -> "r to be forgotten, is " + node.status("r").orElse(null));
        TestNode.await(() -> node.runningProcesses().isEmpty(), () -> "no process left, found " + node.runningProcesses());
    }

    @Test
    void quickRepeatedCrashesBackOffAndAreNotArmed() throws Exception {
        // Up for a second and a half each time, well within its reset window: a crash loop.
        node.define("q.xml", """
                <service name="q" enable="1">
                  <process name="sh">%s</process>
                  <actionlist name="start"><action><![CDATA[sh -c 'sleep 1.5; exit 3']]></action></actionlist>
                  <restart initial="1s" max="256s" reset-after="60s"/>
                </service>""".formatted(node.mark()));
        node.startMaster();
        long first = awaitArmed("q").pid();

        // First crash after a fresh start: restarted at once, by the forker.
        TestNode.await(() -> node.status("q").map(s -> s.restarts() == 1 && "running".equals(s.state())).orElse(false),
                () -> "q restarted once, is " + node.status("q").orElse(null));
        ServiceStatus again = node.status("q").orElseThrow();
        assertTrue(again.pid() != first);
        assertFalse(Boolean.TRUE.equals(again.restartArmed()), "a second crash within the reset window is not armed");

        // Second crash within the reset window: backoff, 1 s; the third: 2 s.
        ServiceStatus backoff = node.awaitState("q", "backoff");
        assertTrue(backoff.reason().contains("next start in 1.0 s"), backoff::toString);
        List<Event> crashes = crashes("q");
        assertTrue(crashes.get(0).message().contains("mcp-forker restarted it"), crashes.toString());
        assertTrue(crashes.stream().skip(1).noneMatch(e -> e.message().contains("mcp-forker")), crashes.toString());
        TestNode.await(() -> node.status("q").map(s -> s.restarts() == 3 && "backoff".equals(s.state())).orElse(false),
                () -> "q backing off after its third crash, is " + node.status("q").orElse(null));
        ServiceStatus longer = node.status("q").orElseThrow();
        assertTrue(longer.reason().contains("next start in 2.0 s"), longer::toString);
        assertTrue(crashes("q").stream().skip(1).noneMatch(e -> e.message().contains("mcp-forker")), crashes("q").toString());
    }

    @Test
    void aCrashWhileTheMasterIsAwayIsRestartedOnceAndAdopted() throws Exception {
        node.define("m.xml", node.foreground("m", true));
        node.startMaster();
        long first = awaitArmed("m").pid();
        node.stopMaster();

        Os.linux().kill(first, Os.SIGKILL);
        TestNode.await(() -> PidFiles.read(node.paths.foregroundPidFile("m")).orElse(first) != first,
                () -> "the forker to restart m without its master");
        long second = PidFiles.read(node.paths.foregroundPidFile("m")).getAsLong();
        TestNode.await(() -> Os.linux().inspect(second).filter(p -> p.matchesName("sleep")).isPresent(),
                () -> "pid " + second + " to run sleep");

        // Used up: with no master to arm it again, its next death is not restarted by the forker.
        Os.linux().kill(second, Os.SIGKILL);
        TestNode.await(() -> node.runningProcesses().isEmpty(), () -> "nothing restarted a second time, found "
                + node.runningProcesses());
        assertEquals(second, PidFiles.read(node.paths.foregroundPidFile("m")).getAsLong());
    }

    @Test
    void theNextMasterAdoptsWhatTheForkerRestartedMeanwhile() throws Exception {
        node.define("n.xml", node.foreground("n", true));
        node.startMaster();
        long first = awaitArmed("n").pid();
        node.stopMaster();
        Os.linux().kill(first, Os.SIGKILL);
        TestNode.await(() -> PidFiles.read(node.paths.foregroundPidFile("n")).orElse(first) != first,
                () -> "the forker to restart n without its master");
        long second = PidFiles.read(node.paths.foregroundPidFile("n")).getAsLong();
        TestNode.await(() -> Os.linux().inspect(second).filter(p -> p.matchesName("sleep")).isPresent(),
                () -> "pid " + second + " to run sleep");

        node.startMaster();

        ServiceStatus adopted = awaitArmed("n");
        assertEquals(second, adopted.pid(), "adopted, not started again");
        assertEquals(List.of(second), node.runningProcesses());
    }
}
