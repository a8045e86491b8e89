package io.mcp.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The hand-over between the reaper and a spawner, in both orders. PIDs above the kernel's limit
 * (4194304) stand for children, so no real child is involved.
 */
class ReaperTest {
    private final Reaper reaper = Reaper.instance();

    @Test
    void anExitReapedAfterRegistrationCompletesTheFuture() {
        CompletableFuture<ExitStatus> exit = reaper.register(5_000_001L);
        assertFalse(exit.isDone());

        reaper.exited(5_000_001L, ExitStatus.decode(3 << 8));

        assertEquals(new ExitStatus(3, null), exit.getNow(null));
    }

    @Test
    void anExitReapedBeforeRegistrationIsKeptForTheSpawner() {
        // A child can exit and be reaped before posix_spawn has even returned its PID to us.
        reaper.exited(5_000_002L, ExitStatus.decode(9));

        assertEquals(new ExitStatus(null, 9), reaper.register(5_000_002L).getNow(null));
    }
}
