package io.mcp.forker;

import static io.mcp.forker.TestProcesses.alive;
import static io.mcp.forker.TestProcesses.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** A real ForkerServer on a temporary node root, asked over its real socket to run real processes. */
class ForkerServerTest {
    @TempDir
    Path root;

    private String mark;
    private NodePaths paths;
    private ForkerServer server;
    private Path log;

    @BeforeEach
    void start(TestInfo test) throws IOException {
        mark = TestProcesses.newMark(test);
        paths = new NodePaths(root).ensureLayout();
        server = new ForkerServer(paths);
        log = paths.serviceLog("svc");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        TestProcesses.killMarked(mark);
    }

    private ForkerRequest run(long timeoutMillis, String... actions) {
        return new ForkerRequest(ForkerRequest.RUN, "svc", List.of(actions), null, Map.of(TestProcesses.MARK_VARIABLE, mark),
                null, null, null, timeoutMillis, null, log.toString());
    }

    private ForkerRequest spawn(String command) {
        return new ForkerRequest(ForkerRequest.SPAWN, "svc", null, command, Map.of(TestProcesses.MARK_VARIABLE, mark),
                null, null, null, 0, paths.foregroundPidFile("svc").toString(), log.toString());
    }

    private ForkerReply call(Object request) {
        try {
            return JsonLineClient.callOnce(paths.forkerSocket(), request, ForkerReply.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void runsEveryActionInOrderAndReturnsTheirOutput() {
        ForkerReply reply = call(run(0, "echo one", "echo two >&2"));

        assertTrue(reply.ok(), reply::summary);
        assertEquals(0, reply.exitCode());
        assertEquals("one\ntwo\n", reply.outputTail());
    }

    @Test
    void aPlainActionIsTheForkersOwnChildWithNoShellBetween() throws IOException {
        Path script = root.resolve("parent.sh");
        Files.writeString(script, "echo $PPID > " + root.resolve("parent") + "\n");

        ForkerReply reply = call(run(0, "/bin/sh " + script));

        assertTrue(reply.ok(), reply::summary);
        assertEquals(String.valueOf(ProcessHandle.current().pid()), Files.readString(root.resolve("parent")).strip());
    }

    @Test
    void stopsAtTheFirstFailingActionWithItsExitCode() {
        ForkerReply reply = call(run(0, "echo first", "exit 3", "echo never"));

        assertFalse(reply.ok());
        assertEquals(3, reply.exitCode());
        assertNull(reply.signal());
        assertFalse(reply.execFailed());
        assertEquals("exit 3", reply.failedAction());
        assertEquals("first\n", reply.outputTail());
    }

    @Test
    void reportsASignalDeathAsTheSignal() {
        ForkerReply reply = call(run(0, "kill -TERM $$"));

        assertFalse(reply.ok());
        assertEquals(Os.SIGTERM, reply.signal());
        assertNull(reply.exitCode());
    }

    @Test
    void killsTheWholeProcessGroupOfAnActionPastItsTimeout() throws IOException {
        Path background = root.resolve("background.pid");
        String line = "sleep 100 & echo $! > " + background + "; sleep 100";

        ForkerReply reply = call(run(300, line));

        assertFalse(reply.ok());
        assertTrue(reply.timedOut());
        assertEquals(Os.SIGKILL, reply.signal());
        assertEquals(line, reply.failedAction());
        assertTrue(reply.durationMillis() >= 300, "took " + reply.durationMillis());
        long sleeper = PidFiles.read(background).orElseThrow();
        waitUntil("the background sleep " + sleeper + " is killed too", () -> !alive(sleeper));
    }

    @Test
    void returnsOnlyTheLastKilobytesThisRequestWrote() throws IOException {
        Files.writeString(log, "written before\n");

        assertEquals("new\n", call(run(0, "echo new")).outputTail());
        ForkerReply big = call(run(0, "head -c 10000 /dev/zero | tr '\\0' x", "echo END"));

        assertTrue(big.ok(), big::summary);
        assertTrue(big.outputTail().equals("x".repeat(ActionRunner.TAIL_BYTES - 4) + "END\n"),
                () -> "tail of " + big.outputTail().length() + " chars ending " + big.outputTail().substring(
                        Math.max(0, big.outputTail().length() - 20)));
        assertTrue(Files.readString(log).startsWith("written before\nnew\n"), "appends to the log");
    }

    @Test
    void reportsAMissingProgramAsExecFailed() {
        ForkerReply reply = call(run(0, "no-such-program-mcp-test"));

        assertFalse(reply.ok());
        assertTrue(reply.execFailed());
        assertEquals(127, reply.exitCode());
        assertTrue(reply.outputTail().contains("not found"), reply.outputTail());
    }

    @Test
    void appliesTheEnvironmentAndAQuotedWorkingDirectory() throws IOException {
        Path dir = Files.createDirectories(root.resolve("it's a \"dir\" $HOME"));
        ForkerRequest request = new ForkerRequest(ForkerRequest.RUN, "svc", List.of("pwd; echo \"$GREETING\""),
                null, Map.of(TestProcesses.MARK_VARIABLE, mark, "GREETING", "hello world"), null, null,
                dir.toString(), 0, null, log.toString());

        ForkerReply reply = call(request);

        assertTrue(reply.ok(), reply::summary);
        assertEquals(dir + "\nhello world\n", reply.outputTail());
    }

    @Test
    void runsActionsAsTheRequestedUser() {
        assumeTrue(ShellCommand.Identity.current().root(), "only root can change user");
        ForkerRequest request = new ForkerRequest(ForkerRequest.RUN, "svc", List.of("id -un"),
                null, Map.of(TestProcesses.MARK_VARIABLE, mark), "nobody", null, null, 0, null, log.toString());

        ForkerReply reply = call(request);

        assertTrue(reply.ok(), reply::summary);
        assertEquals("nobody\n", reply.outputTail());
    }

    @Test
    void spawnsAServiceInItsOwnSessionWritesItsPidFileAndReapsIt() {
        ForkerReply reply = call(spawn("sleep 100"));

        assertTrue(reply.ok(), reply::summary);
        long pid = reply.pid();
        assertEquals(pid, PidFiles.read(paths.foregroundPidFile("svc")).orElseThrow());
        // sh execs the command just after the spawn returns: wait for its name to change.
        waitUntil("pid " + pid + " is sleep", () -> Os.linux().inspect(pid).filter(p -> p.matchesName("sleep")).isPresent());
        ProcessInfo info = Os.linux().inspect(pid).orElseThrow();
        assertEquals(pid, info.sid(), "leads a new session");
        assertEquals(pid, info.pgid(), "leads its process group");

        Os.linux().kill(pid, Os.SIGKILL);

        waitUntil("pid " + pid + " is reaped, not left a zombie", () -> Os.linux().inspect(pid).isEmpty());
    }

    @Test
    void aLongActionDoesNotHoldUpAnotherRequest() {
        Path started = root.resolve("slow.pid");
        CompletableFuture<ForkerReply> slow =
                CompletableFuture.supplyAsync(() -> call(run(0, "echo $$ > " + started + "; sleep 10")));
        waitUntil("the slow action is running", () -> Files.exists(started));

        ForkerReply quick = assertTimeoutPreemptively(Duration.ofSeconds(3), () -> call(run(0, "true")));

        assertTrue(quick.ok(), quick::summary);
        assertFalse(slow.isDone(), "the slow action is still running");
    }

    @Test
    void spawnedServicesOutliveTheServer() {
        ForkerReply reply = call(spawn("sleep 100"));
        assertTrue(reply.ok(), reply::summary);
        waitUntil("the service runs", () -> Os.linux().inspect(reply.pid()).filter(p -> p.matchesName("sleep")).isPresent());

        server.close();

        assertTrue(alive(reply.pid()), "still running after the server closed");
    }

    @Test
    void aLogThatCannotBeOpenedIsAnErrorAndNothingRuns() {
        ForkerRequest request = new ForkerRequest(ForkerRequest.RUN, "svc", List.of("touch " + root.resolve("ran")),
                null, Map.of(TestProcesses.MARK_VARIABLE, mark), null, null, null, 0, null, root.toString());

        ForkerReply reply = call(request);

        assertFalse(reply.ok());
        assertFalse(reply.execFailed());
        assertTrue(reply.error().contains("cannot open log " + root), reply.error());
        assertFalse(Files.exists(root.resolve("ran")));
    }

    @Test
    void aServiceScriptWithoutInterpreterLineStillRunsThroughSh() throws Exception {
        // A plain command line, so executed directly first; the kernel refuses it (ENOEXEC).
        Path script = root.resolve("noshebang");
        Path ran = root.resolve("ran");
        Files.writeString(script, "echo ran > '" + ran + "'\nexec sleep 100\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

        ForkerReply reply = call(spawn(script.toString()));

        assertTrue(reply.ok(), reply.toString());
        long deadline = System.nanoTime() + TestProcesses.DEADLINE.toNanos();
        while (!Files.exists(ran) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(ran), "sh ran the script");
    }

    @Test
    void aResourceShortageIsAnErrorAndTheForkerCarriesOn() throws IOException {
        server.close();
        server = new ForkerServer(paths, (program, argv, env, dir, out) -> {
            throw SpawnException.spawnFailed(program, Errno.EAGAIN.intValue());
        }, Os.linux());

        ForkerReply reply = call(spawn("sleep 100"));

        assertFalse(reply.ok());
        assertFalse(reply.execFailed(), "a shortage is not an exec failure");
        assertTrue(reply.error().contains("EAGAIN"), reply.error());
        assertTrue(call(ForkerRequest.ping()).ok());
    }

    @Test
    void answersBadRequestsWithAnError() {
        ForkerRequest unknown = new ForkerRequest("frobnicate", "svc", null, null, null, null, null, null, 0, null, null);
        ForkerRequest noActions = new ForkerRequest(ForkerRequest.RUN, "svc", null, null, null, null, null, null, 0, null,
                log.toString());
        ForkerRequest noPidFile = new ForkerRequest(ForkerRequest.SPAWN, "svc", null, "sleep 1", null, null, null, null,
                0, null, log.toString());

        assertEquals("bad request: unknown op 'frobnicate' (expected run, spawn, ping, arm, disarm or respawned)", call(unknown).error());
        assertEquals("bad request: run needs 'actions'", call(noActions).error());
        assertEquals("bad request: spawn needs 'pidFile'", call(noPidFile).error());
        assertTrue(call(Map.of("op", "run", "actions", Map.of())).error().startsWith("bad request: "));
        assertEquals("bad request: empty request", call(null).error());
        assertTrue(call(ForkerRequest.ping()).ok());
    }
}
