package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The master supervising real processes through a real forker. */
class SupervisionTest extends NodeTest {
    @Test
    void killedServiceIsRunningAgainUnderANewPid() throws Exception {
        node.define("a.xml", node.foreground("a", true));
        node.startMaster();
        long first = node.awaitState("a", "running").pid();
        Os.linux().kill(first, Os.SIGKILL);
        TestNode.await(() -> node.status("a").map(s -> "running".equals(s.state()) && s.pid() != first).orElse(false),
                () -> "a to run under a new pid, is " + node.status("a").orElse(null));
        ServiceStatus after = node.status("a").orElseThrow();
        assertEquals(1, after.restarts());
        assertFalse(TestNode.alive(first));
        assertEquals(after.pid(), PidFiles.read(node.paths.foregroundPidFile("a")).getAsLong(),
                "the forker wrote the new PID file");
    }

    @Test
    void childrenOfACrashedForegroundServiceDoNotOutliveIt() throws Exception {
        long[] pids = runWithChild("c", node.sleep());
        long first = pids[0];
        long child = pids[1];
        assertTrue(TestNode.alive(child));
        Os.linux().kill(first, Os.SIGKILL);
        TestNode.await(() -> !TestNode.alive(child), () -> "the dead instance's child " + child + " to be killed");
        TestNode.await(() -> node.status("c").map(s -> "running".equals(s.state()) && s.pid() != first).orElse(false),
                () -> "c to run again, is " + node.status("c").orElse(null));
    }

    @Test
    void classicDaemonIsConfirmedByItsPidFileAndAdoptedByTheNextMaster() throws Exception {
        Path pidFile = root.resolve("d.pid");
        node.define("d.xml", node.daemon("d", pidFile));
        node.startMaster();
        long pid = node.awaitState("d", "running").pid();
        assertEquals(pid, PidFiles.read(pidFile).getAsLong());

        node.stopMaster();
        assertTrue(TestNode.alive(pid), "the service outlives its master");
        node.startMaster();
        ServiceStatus adopted = node.awaitState("d", "running");
        assertEquals(pid, adopted.pid(), "adopted, not started again");
        assertTrue(adopted.reason().contains("adopted"), adopted.reason());
    }

    @Test
    void daemonThatMovesToANewPidIsFollowedNotRestarted() throws Exception {
        Path pidFile = root.resolve("u.pid");
        node.define("u.xml", node.daemon("u", pidFile));
        node.startMaster();
        long old = node.awaitState("u", "running").pid();
        // What a daemon's binary upgrade looks like from outside: a new process, then the PID file, then the old one exits.
        // (Started through the forker: this JVM's forker reaps all its children, so no ProcessBuilder here.)
        long successor = JsonLineClient.callOnce(node.paths.forkerSocket(), new ForkerRequest(ForkerRequest.SPAWN, "u",
                null, node.sleep(), Map.of("MCP_TEST_MARK", node.markValue()), null, null, null, 0,
                root.resolve("successor.pid").toString(), root.resolve("successor.log").toString()), ForkerReply.class).pid();
        PidFiles.write(pidFile, successor);
        Os.linux().kill(old, Os.SIGKILL);
        TestNode.await(() -> node.status("u").map(s -> s.pid() != null && s.pid() == successor).orElse(false),
                () -> "u to follow pid " + successor + ", is " + node.status("u").orElse(null));
        assertEquals(0, node.status("u").orElseThrow().restarts());
    }

    @Test
    void disablingStopsAndEnablingStarts() throws Exception {
        node.define("e.xml", node.foreground("e", true));
        node.startMaster();
        long pid = node.awaitState("e", "running").pid();

        new io.mcp.master.override.ServiceOverrides(node.paths).setEnabled("e", false);
        node.awaitState("e", "stopped");
        TestNode.await(() -> !TestNode.alive(pid), () -> "pid " + pid + " to be gone");
        assertFalse(node.status("e").orElseThrow().enabled());

        new io.mcp.master.override.ServiceOverrides(node.paths).setEnabled("e", true);
        long again = node.awaitState("e", "running").pid();
        assertNotEquals(pid, again);
    }

    @Test
    void serviceThatIgnoresSigtermIsKilled() throws Exception {
        node.define("t.xml", """
                <service name="t" enable="1">
                  <process name="sh">%s</process>
                  <actionlist name="start"><action><![CDATA[sh -c 'trap "" TERM; while :; do %s; done']]></action></actionlist>
                </service>""".formatted(node.mark(), node.sleep()));
        node.startMaster();
        long pid = node.awaitState("t", "running").pid();
        new io.mcp.master.override.ServiceOverrides(node.paths).setEnabled("t", false);
        node.awaitState("t", "stopped");
        assertFalse(TestNode.alive(pid));
        EventLog events = new EventLog(node.paths.eventsLog(), Clock.systemUTC());
        assertTrue(events.tail(100).stream().anyMatch(e -> "t".equals(e.source()) && "sigkill".equals(e.kind())),
                "stopped by escalating to SIGKILL");
    }

    @Test
    void aStoppedForegroundServiceLeavesNoChildThatIgnoredSigterm() throws Exception {
        // The main process dies of SIGTERM at once; its child ignores SIGTERM and would stay.
        long[] pids = runWithChild("g", "(trap \"\" TERM; exec " + node.sleep() + ")");
        long pid = pids[0];
        long child = pids[1];

        new io.mcp.master.override.ServiceOverrides(node.paths).setEnabled("g", false);
        node.awaitState("g", "stopped");

        assertFalse(TestNode.alive(pid));
        TestNode.await(() -> !TestNode.alive(child), () -> "the stopped service's child " + child + " to be killed");
    }

    @Test
    void removedDefinitionStopsTheService() throws Exception {
        Path f = node.define("r.xml", node.foreground("r", true));
        node.startMaster();
        long pid = node.awaitState("r", "running").pid();
        Files.delete(f);
        TestNode.await(() -> node.status("r").isEmpty(), () -> "r to be forgotten");
        assertFalse(TestNode.alive(pid));
    }

    @Test
    void missingBinaryBacksOffWithTheReason() throws Exception {
        node.define("m.xml", """
                <service name="m" enable="1">
                  <process name="no-such-daemon"/>
                  <actionlist name="start"><action>/nonexistent/no-such-daemon</action></actionlist>
                </service>""");
        node.startMaster();
        ServiceStatus s = node.awaitState("m", "backoff");
        assertNotNull(s.backoffSeconds());
        assertTrue(s.reason().contains("no-such-daemon"), s.reason());
    }

    @Test
    void startActionThatWritesNoPidBacksOff() throws Exception {
        node.define("n.xml", """
                <service name="n" enable="1">
                  <process name="sleep" pidfile="%s"/>
                  <actionlist name="start"><action>true</action></actionlist>
                </service>""".formatted(root.resolve("n.pid")));
        node.startMaster();
        ServiceStatus s = node.awaitState("n", "backoff");
        assertTrue(s.reason().contains("no PID in"), s.reason());
    }

    @Test
    void pidFileNamingAnotherProgramBacksOff() throws Exception {
        Path pidFile = root.resolve("o.pid");
        PidFiles.write(pidFile, ProcessHandle.current().pid()); // names this java process
        node.define("o.xml", """
                <service name="o" enable="1">
                  <process name="odaemon" pidfile="%s"/>
                  <actionlist name="start"><action>true</action></actionlist>
                </service>""".formatted(pidFile));
        node.startMaster();
        ServiceStatus s = node.awaitState("o", "backoff");
        assertTrue(s.reason().contains("not a 'odaemon' process"), s.reason());
    }

    /**
     * Defines and starts NAME, a foreground shell that runs CHILD in the background and waits;
     * returns the shell's PID and the child's, once both run.
     */
    private long[] runWithChild(String name, String child) throws Exception {
        Path childPid = root.resolve(name + "-child.pid");
        node.define(name + ".xml", """
                <service name="%s" enable="1">
                  <process name="sh">%s</process>
                  <actionlist name="start"><action><![CDATA[sh -c '%s & echo $! > %s; wait']]></action></actionlist>
                </service>""".formatted(name, node.mark(), child, childPid));
        node.startMaster();
        long leader = node.awaitState(name, "running").pid();
        TestNode.await(() -> PidFiles.read(childPid).isPresent(), () -> "the child's PID");
        return new long[] {leader, PidFiles.read(childPid).getAsLong()};
    }
}
