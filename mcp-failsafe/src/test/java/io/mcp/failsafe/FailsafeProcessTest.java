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
import java.io.File;
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

/** The failsafe as a process of its own ({@link TestFailsafe}), with two {@link TestChild}ren. */
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
        // A stdin that never ends and, unlike a pipe from this JVM, is not closed when the failsafe
        // dies: only the failsafe's own pipes can end its children's lifelines.
        failsafe = start(TestChild.java("-Dmcp.process=" + FAILSAFE, TestFailsafe.class, paths.root().toString()),
                Redirect.from(new File("/dev/zero")), "failsafe.out");
        forker = Processes.awaitPidFile(paths, FORKER, -1);
        master = Processes.awaitPidFile(paths, MASTER, -1);
        assertEquals(failsafe.pid(), PidFiles.read(paths.pidFile(FAILSAFE)).orElse(-1));
    }

    @AfterEach
    void cleanUp() {
        Processes.killAll(paths, started);
    }

    private Process start(List<String> command, Redirect stdin, String out) {
        Process p = Processes.start(command, stdin, dir.resolve(out));
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
        Process second = start(TestChild.java("-Dmcp.home=" + dir.resolve("home"), FailsafeMain.class,
                "up", "--root", paths.root().toString()), Redirect.PIPE, "second.out");
        assertTrue(second.waitFor(Processes.PATIENCE.toSeconds(), TimeUnit.SECONDS), "the second one exits");
        assertEquals(FailsafeMain.EXIT_ALREADY_RUNNING, second.exitValue());
        assertEquals("mcp: mcp-failsafe is already running for " + paths.root() + " as pid " + failsafe.pid() + "\n",
                Files.readString(dir.resolve("second.out")));
        assertEquals(failsafe.pid(), PidFiles.read(paths.pidFile(FAILSAFE)).orElse(-1));
        assertEquals(master, PidFiles.read(paths.pidFile(MASTER)).orElse(-1));
        assertTrue(Processes.alive(master) && Processes.alive(forker), "the first one's children are untouched");
    }
}
