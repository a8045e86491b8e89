package io.mcp.master.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.testing.Await;
import io.mcp.forker.ForkerServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    @Test
    void aRequestOnAKeptConnectionReachesTheForkerBeforeAnyCallThreadRuns() throws Exception {
        NodePaths paths = new NodePaths(root).ensureLayout();
        GatedExecutor calls = new GatedExecutor();
        try (ForkerServer forker = new ForkerServer(paths);
                ForkerClient client = new ForkerClient(paths.forkerSocket(), Duration.ofSeconds(30), calls)) {
            assertTrue(client.send(appendLine(paths)).get(30, TimeUnit.SECONDS).ok()); // its connection is kept

            calls.closeGate();
            CompletableFuture<ForkerReply> second = client.send(appendLine(paths));
            Await.until(() -> ranLines() == 2, () -> "the second request run by the forker while no call thread may run");
            assertFalse(second.isDone(), "answered with the gate closed");

            calls.openGate();
            assertTrue(second.get(30, TimeUnit.SECONDS).ok());
        } finally {
            calls.shutdownNow();
        }
    }

    private long ranLines() {
        try {
            return Files.readAllLines(root.resolve("ran.log")).size();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Runs tasks on threads of its own while its gate is open; holds them back while it is closed. */
    private static final class GatedExecutor extends AbstractExecutorService {
        private final ExecutorService threads = Executors.newCachedThreadPool();
        private final List<Runnable> held = new ArrayList<>();
        private boolean open = true;

        synchronized void closeGate() {
            open = false;
        }

        synchronized void openGate() {
            open = true;
            held.forEach(threads::execute);
            held.clear();
        }

        @Override
        public synchronized void execute(Runnable task) {
            if (open) {
                threads.execute(task);
            } else {
                held.add(task);
            }
        }

        @Override
        public void shutdown() {
            threads.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return threads.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return threads.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return threads.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return threads.awaitTermination(timeout, unit);
        }
    }
}
