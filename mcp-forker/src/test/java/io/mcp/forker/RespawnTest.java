package io.mcp.forker;

import static io.mcp.forker.TestProcesses.alive;
import static io.mcp.forker.TestProcesses.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import io.mcp.core.testing.MarkedProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forker restarting an armed service itself: a real ForkerServer over its real socket, real
 * processes killed with SIGKILL.
 */
class RespawnTest {
    @TempDir
    Path root;

    private String mark;
    private NodePaths paths;
    private ForkerServer server;
    private Path pidFile;

    @BeforeEach
    void start(TestInfo test) throws IOException {
        mark = TestProcesses.newMark(test);
        paths = new NodePaths(root).ensureLayout();
        server = new ForkerServer(paths);
        pidFile = paths.foregroundPidFile("svc");
    }

    @AfterEach
    void stop() {
        server.close();
        TestProcesses.killMarked(mark);
    }

    private ForkerRequest spawn() {
        return new ForkerRequest(ForkerRequest.SPAWN, "svc", null, "sleep 100", Map.of(TestProcesses.MARK_VARIABLE, mark),
                null, null, null, 0, pidFile.toString(), paths.serviceLog("svc").toString());
    }

    private ForkerReply call(ForkerRequest request) {
        try {
            return JsonLineClient.callOnce(paths.forkerSocket(), request, ForkerReply.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Spawns the service and waits until it is sleep itself. */
    private long running() {
        ForkerReply reply = call(spawn());
        assertTrue(reply.ok(), reply::summary);
        long pid = reply.pid();
        waitUntil("pid " + pid + " runs sleep", () -> isSleep(pid));
        return pid;
    }

    private static boolean isSleep(long pid) {
        return Os.linux().inspect(pid).filter(p -> p.alive() && p.matchesName("sleep")).isPresent();
    }

    private ForkerReply arm(long pid) {
        return call(spawn().about(ForkerRequest.ARM, pid));
    }

    /** The PID the PID file names once it no longer names {@code old}. */
    private long newPidAfter(long old) {
        waitUntil("the PID file to name a new process after " + old,
                () -> PidFiles.read(pidFile).isPresent() && PidFiles.read(pidFile).getAsLong() != old);
        return PidFiles.read(pidFile).getAsLong();
    }

    @Test
    void anArmedServiceThatIsKilledRunsAgainUnderANewPidAndSaysSo() {
        long first = running();
        assertTrue(arm(first).ok());
        assertTrue(server.armed(first));

        Os.linux().kill(first, Os.SIGKILL);

        long second = newPidAfter(first);
        assertNotEquals(first, second);
        waitUntil("the respawned pid " + second + " runs the same command", () -> isSleep(second));
        assertEquals(second, Os.linux().inspect(second).orElseThrow().sid(), "in a session of its own");
        ForkerReply answer = call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", first));
        assertTrue(answer.ok(), answer::summary);
        assertEquals(second, answer.pid());
        assertFalse(alive(first));
    }

    @Test
    void oneArmRespawnsOnce() {
        long first = running();
        assertTrue(arm(first).ok());
        Os.linux().kill(first, Os.SIGKILL);
        long second = newPidAfter(first);
        waitUntil("pid " + second + " runs sleep", () -> isSleep(second));
        assertFalse(server.armed(second), "the new process is not armed by itself");

        Os.linux().kill(second, Os.SIGKILL);

        waitUntil("pid " + second + " to be reaped", () -> Os.linux().inspect(second).isEmpty());
        ForkerReply answer = call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", second));
        assertFalse(answer.ok(), "not armed, not respawned");
        assertNull(answer.pid());
        assertEquals(second, PidFiles.read(pidFile).getAsLong(), "nothing was started after the second death");
        assertTrue(paths.forkerSocket().toFile().exists());
    }

    @Test
    void aDisarmedServiceIsNotRespawned() throws Exception {
        long pid = running();
        assertTrue(arm(pid).ok());

        ForkerReply disarmed = call(ForkerRequest.of(ForkerRequest.DISARM, "svc", pid));
        assertTrue(disarmed.ok(), disarmed::summary);
        assertNull(disarmed.pid(), "it had not been respawned");
        assertFalse(server.armed(pid));
        Os.linux().kill(pid, Os.SIGKILL);

        ForkerReply answer = call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", pid));
        assertFalse(answer.ok());
        assertNull(answer.pid());
        waitUntil("pid " + pid + " to be reaped", () -> Os.linux().inspect(pid).isEmpty());
        assertEquals(pid, PidFiles.read(pidFile).getAsLong(), "not started again");
        assertFalse(hasMarkedProcess(), "no process of this test runs");
    }

    @Test
    void disarmingAfterTheRespawnAnswersWithTheNewPid() {
        long first = running();
        assertTrue(arm(first).ok());
        Os.linux().kill(first, Os.SIGKILL);
        long second = newPidAfter(first);

        ForkerReply disarmed = call(ForkerRequest.of(ForkerRequest.DISARM, "svc", first));

        assertTrue(disarmed.ok(), disarmed::summary);
        assertEquals(second, disarmed.pid());
        assertFalse(call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", first)).ok(), "settled once only");
    }

    /**
     * A master started after the one that armed the service (so it knows nothing of the arm) may
     * see the death before the PID file names the respawned process, and ask for a start.
     */
    @Test
    void aStartAskedForAfterAnUnclaimedRespawnIsAnsweredWithThatRespawn() {
        long first = running();
        assertTrue(arm(first).ok());
        Os.linux().kill(first, Os.SIGKILL);
        long second = newPidAfter(first);
        waitUntil("pid " + second + " runs sleep", () -> isSleep(second));

        ForkerReply started = call(spawn());

        assertTrue(started.ok(), started::summary);
        assertEquals(second, started.pid(), "no second copy");
        assertEquals(Set.of(second), Set.copyOf(markedPids()));
        assertFalse(call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", first)).ok(), "settled once only");
    }

    @Test
    void aStartIsAnsweredWithTheUnclaimedRespawnEvenWhenItsProcessIsArmedAgain() {
        long first = running();
        assertTrue(arm(first).ok());
        Os.linux().kill(first, Os.SIGKILL);
        long second = newPidAfter(first);
        waitUntil("pid " + second + " runs sleep", () -> isSleep(second));
        assertTrue(arm(second).ok());

        ForkerReply started = call(spawn());

        assertTrue(started.ok(), started::summary);
        assertEquals(second, started.pid(), "no second copy");
        assertEquals(Set.of(second), Set.copyOf(markedPids()));
    }

    @Test
    void aStartAfterARespawnWhoseProcessDiedTooStartsANewOne() {
        long first = running();
        assertTrue(arm(first).ok());
        Os.linux().kill(first, Os.SIGKILL);
        long second = newPidAfter(first);
        Os.linux().kill(second, Os.SIGKILL);
        waitUntil("pid " + second + " to be reaped", () -> Os.linux().inspect(second).isEmpty());

        ForkerReply started = call(spawn());

        assertTrue(started.ok(), started::summary);
        assertNotEquals(second, started.pid());
        waitUntil("pid " + started.pid() + " runs sleep", () -> isSleep(started.pid()));
    }

    @Test
    void theDeadInstancesGroupIsKilledBeforeTheRespawn() throws Exception {
        Path child = root.resolve("child.pid");
        ForkerRequest withChild = new ForkerRequest(ForkerRequest.SPAWN, "svc", null,
                "sh -c 'sleep 100 & echo $! > " + child + "; wait'", Map.of(TestProcesses.MARK_VARIABLE, mark),
                null, null, null, 0, pidFile.toString(), paths.serviceLog("svc").toString());
        ForkerReply started = call(withChild);
        assertTrue(started.ok(), started::summary);
        long first = started.pid();
        waitUntil("the child's PID", () -> PidFiles.read(child).isPresent());
        long grandchild = PidFiles.read(child).getAsLong();
        Files.delete(child);
        assertTrue(call(withChild.about(ForkerRequest.ARM, first)).ok());

        Os.linux().kill(first, Os.SIGKILL);

        newPidAfter(first);
        waitUntil("the dead instance's child " + grandchild + " to be killed", () -> !alive(grandchild));
    }

    @Test
    void onlyARunningServiceOfThisForkerCanBeArmed() {
        long pid = running();
        Os.linux().kill(pid, Os.SIGKILL);
        waitUntil("pid " + pid + " to be reaped", () -> Os.linux().inspect(pid).isEmpty());

        assertFalse(arm(pid).ok(), "a dead process");
        assertFalse(arm(ProcessHandle.current().pid()).ok(), "not a service this forker spawned");
        assertFalse(call(ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", pid)).ok());
        ForkerRequest noPid = new ForkerRequest(ForkerRequest.ARM, "svc", null, "sleep 100", null, null, null, null, 0,
                pidFile.toString(), paths.serviceLog("svc").toString());
        assertEquals("bad request: arm needs 'pid'", call(noPid).error());
    }

    @Test
    void aClosedForkerRespawnsNothing() {
        long pid = running();
        assertTrue(arm(pid).ok());

        server.close();
        Os.linux().kill(pid, Os.SIGKILL);

        waitUntil("pid " + pid + " to be reaped", () -> Os.linux().inspect(pid).isEmpty());
        assertEquals(pid, PidFiles.read(pidFile).getAsLong(), "not started again");
        assertFalse(hasMarkedProcess(), "no process of this test runs");
    }

    private boolean hasMarkedProcess() {
        return !markedPids().isEmpty();
    }

    private List<Long> markedPids() {
        return new MarkedProcesses(TestProcesses.MARK_VARIABLE + "=" + mark).livePids();
    }
}
