package io.mcp.failsafe;

import static io.mcp.core.paths.NodePaths.FAILSAFE;
import static io.mcp.core.paths.NodePaths.FORKER;
import static io.mcp.core.paths.NodePaths.MASTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.Event;
import io.mcp.core.os.PidFiles;
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

/** mcp-failsafe with two {@link TestChild}ren standing in for the forker and the master. */
class FailsafeProcessTest {
    @TempDir
    Path dir;
    private NodePaths paths;
    private final List<Process> started = new ArrayList<>();
    private Process failsafe;
    private long forker;
    private long master;

    @BeforeEach
    void startFailsafe() {
        paths = new NodePaths(dir.resolve("root"));
        failsafe = Processes.failsafe(paths, 1, TestChild.child(paths, FORKER), TestChild.child(paths, MASTER));
        started.add(failsafe);
        forker = Processes.awaitPidFile(paths, FORKER, -1);
        master = Processes.awaitPidFile(paths, MASTER, -1);
        assertEquals(failsafe.pid(), PidFiles.read(paths.pidFile(FAILSAFE)).orElse(-1));
    }

    @AfterEach
    void cleanUp() {
        Processes.killAll(paths, started);
    }

    private Process start(List<String> command, String out) {
        Process p = Processes.start(command, Redirect.PIPE, dir.resolve(out));
        started.add(p);
        return p;
    }

    @Test
    void sigtermStopsMasterThenForkerAndExitsZero() throws Exception {
        failsafe.destroy();
        assertTrue(failsafe.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, failsafe.exitValue());
        assertFalse(Processes.alive(master), "master stopped");
        assertFalse(Processes.alive(forker), "forker stopped");
        assertFalse(Files.exists(paths.pidFile(FAILSAFE)), "PID file removed");
        List<String> stopped = Processes.events(paths).stream().filter(e -> e.kind().equals("stopped"))
                .map(Event::source).toList();
        assertEquals(List.of(MASTER, FORKER), stopped);
    }

    @Test
    void sigkillTakesBothChildrenDownWithin2Seconds() {
        failsafe.destroyForcibly();
        Processes.await("master and forker gone after the failsafe's SIGKILL", Duration.ofSeconds(2),
                () -> !Processes.alive(master) && !Processes.alive(forker));
    }

    @Test
    void secondFailsafeOnTheSameRootIsRefused() throws Exception {
        Process second = start(List.of(Path.of("target", "mcp-failsafe").toAbsolutePath().toString(), "--spec",
                paths.root().resolveSibling("failsafe.spec").toString(), paths.root().toString()), "second.out");
        assertTrue(second.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS), "the second one exits");
        assertEquals(3, second.exitValue());
        assertEquals("mcp: mcp-failsafe is already running for " + paths.root() + " as pid " + failsafe.pid() + "\n",
                Files.readString(dir.resolve("second.out")));
        assertEquals(failsafe.pid(), PidFiles.read(paths.pidFile(FAILSAFE)).orElse(-1));
        assertEquals(master, PidFiles.read(paths.pidFile(MASTER)).orElse(-1));
        assertTrue(Processes.alive(master) && Processes.alive(forker), "the first one's children are untouched");
    }
}
