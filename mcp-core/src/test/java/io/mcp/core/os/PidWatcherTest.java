package io.mcp.core.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PidWatcherTest {
    private final Os os = Os.linux();
    private final PidWatcher watcher = new PidWatcher(os);
    private Process child;

    @AfterEach
    void cleanUp() {
        watcher.close();
        if (child != null) {
            child.destroyForcibly();
        }
    }

    @Test
    void noticesKilledProcess() throws Exception {
        child = new ProcessBuilder("sleep", "60").start();
        ProcessInfo info = os.inspect(child.pid()).orElseThrow();
        assertTrue(info.matchesName("sleep"));
        CountDownLatch exited = new CountDownLatch(1);
        watcher.watch(child.pid(), info.startTime(), exited::countDown);
        assertFalse(exited.await(50, TimeUnit.MILLISECONDS), "still running");
        assertTrue(os.kill(child.pid(), Os.SIGKILL));
        assertTrue(exited.await(10, TimeUnit.SECONDS), "exit noticed");
    }

    @Test
    void firesAtOnceForAProcessThatIsGoneOrReplaced() throws Exception {
        child = new ProcessBuilder("sleep", "60").start();
        ProcessInfo info = os.inspect(child.pid()).orElseThrow();
        CountDownLatch replaced = new CountDownLatch(1);
        watcher.watch(child.pid(), info.startTime() + 1, replaced::countDown);
        assertEquals(0, replaced.getCount(), "a different start time means another process");

        CountDownLatch gone = new CountDownLatch(1);
        watcher.watch(Integer.MAX_VALUE - 7, 0, gone::countDown);
        assertEquals(0, gone.getCount());
    }

    @Test
    void cancelledWatchDoesNotFire() throws Exception {
        child = new ProcessBuilder("sleep", "60").start();
        ProcessInfo info = os.inspect(child.pid()).orElseThrow();
        CountDownLatch exited = new CountDownLatch(1);
        PidWatcher.Watch w = watcher.watch(child.pid(), info.startTime(), exited::countDown);
        w.cancel();
        child.destroyForcibly().waitFor();
        assertFalse(exited.await(300, TimeUnit.MILLISECONDS));
    }

    @Test
    void killOfMissingProcessIsBenign() {
        assertFalse(os.kill(Integer.MAX_VALUE - 7, Os.SIGTERM));
    }
}
