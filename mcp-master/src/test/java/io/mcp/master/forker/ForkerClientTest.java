package io.mcp.master.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.forker.ForkerServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The master's side of the forker socket, against a real forker. */
class ForkerClientTest {
    @TempDir
    Path root;

    private ForkerRequest appendLine(NodePaths paths) {
        return new ForkerRequest(ForkerRequest.RUN, "files.d/test", List.of("echo ran >> ran.log"), null, null, null,
                null, root.toString(), 10_000, null, paths.fileActionsLog("test").toString(), null);
    }

    @Test
    void aConnectionKeptFromAForkerThatHasSinceRestartedIsReplacedAndTheRequestRunsOnce() throws Exception {
        NodePaths paths = new NodePaths(root).ensureLayout();
        ForkerServer first = new ForkerServer(paths);
        try (ForkerClient client = new ForkerClient(paths.forkerSocket(), Duration.ofSeconds(30))) {
            ForkerReply before = client.send(appendLine(paths)).get(30, TimeUnit.SECONDS);
            assertTrue(before.ok(), before::summary); // its connection is kept for the next request
            first.close();

            try (ForkerServer second = new ForkerServer(paths)) {
                ForkerReply after = client.send(appendLine(paths)).get(30, TimeUnit.SECONDS);

                assertTrue(after.ok(), after::summary);
                assertEquals(List.of("ran", "ran"), Files.readAllLines(root.resolve("ran.log")));
            }
        } finally {
            first.close();
        }
    }
}
