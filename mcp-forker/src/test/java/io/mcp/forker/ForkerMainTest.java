package io.mcp.forker;

import static io.mcp.forker.TestProcesses.alive;
import static io.mcp.forker.TestProcesses.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * ForkerMain as its own JVM, as the failsafe starts it. Uses ProcessBuilder, so this class must not
 * share its JVM with a ForkerServer (whose reaper takes every child's status): the pom gives each
 * test class a fresh JVM.
 */
class ForkerMainTest {
    @TempDir
    Path root;

    private String mark;
    private NodePaths paths;
    private Process forker;

    @BeforeEach
    void start(TestInfo test) throws IOException {
        mark = TestProcesses.newMark(test);
        paths = new NodePaths(root);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        forker = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dmcp.root=" + root, "-Dmcp.lifeline=true", "-cp", System.getProperty("java.class.path"),
                ForkerMain.class.getName())
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        waitUntil("mcp-forker writes its pid file", () -> PidFiles.read(paths.pidFile(NodePaths.FORKER)).isPresent());
    }

    @AfterEach
    void stop() throws Exception {
        forker.destroyForcibly();
        TestProcesses.killMarked(mark);
    }

    @Test
    void servesUntilItsLifelineClosesAndLeavesItsServicesRunning() throws Exception {
        assertEquals(forker.pid(), PidFiles.read(paths.pidFile(NodePaths.FORKER)).orElseThrow());
        assertTrue(JsonLineClient.callOnce(paths.forkerSocket(), ForkerRequest.ping(), ForkerReply.class).ok());
        ForkerReply service = JsonLineClient.callOnce(paths.forkerSocket(),
                new ForkerRequest(ForkerRequest.SPAWN, "svc", null, "sleep 100", Map.of(TestProcesses.MARK_VARIABLE, mark),
                        null, null, null, 0, paths.foregroundPidFile("svc").toString(),
                        paths.serviceLog("svc").toString()), ForkerReply.class);
        assertTrue(service.ok(), service::summary);

        forker.getOutputStream().close();

        assertTrue(forker.waitFor(2, TimeUnit.SECONDS), "exits within 2 s of its lifeline closing");
        assertTrue(alive(service.pid()), "the service outlives the forker");
        assertFalse(Files.exists(paths.pidFile(NodePaths.FORKER)), "removes its pid file");
    }

    @Test
    void exitsZeroOnSigterm() throws Exception {
        forker.destroy();

        assertTrue(forker.waitFor(2, TimeUnit.SECONDS));
        assertEquals(0, forker.exitValue());
    }
}
