package io.mcp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code bin/mcp}'s own command line: help, and mistakes refused before anything starts. */
class McpCommandLineTest {
    @Test
    void helpExitsZero() throws Exception {
        for (List<String> args : List.of(List.of("--help"), List.of("up", "--help"), List.of("up", "-h"))) {
            Run r = mcp(args);
            assertEquals(0, r.exit, args.toString());
            assertTrue(r.out.startsWith("Usage: mcp up [-h] [--root=DIR] [--node-id=N] [--zk=CONNECT]\n"), r.out);
        }
    }

    @Test
    void badCommandLinesExitWithAReasonAndTheUsage() throws Exception {
        assertRefused("mcp: missing command");
        assertRefused("mcp: unknown command 'down'", "down");
        assertRefused("mcp: unknown option '--rot'", "up", "--rot", "/tmp");
        assertRefused("mcp: unknown option '/tmp'", "up", "/tmp");
        assertRefused("mcp: option '--root' needs a value", "up", "--root");
        assertRefused("mcp: option '--root' needs a value", "up", "--root=");
        assertRefused("mcp: option '--root' needs a value", "up", "--root", "--zk", "x:1");
        assertRefused("mcp: option '--root' given twice", "up", "--root", "/a", "--root=/b");
        assertRefused("mcp: node id 'a b' must be 1-64 letters, digits, '_' or '-'", "up", "--node-id", "a b");
        assertRefused("mcp: ZooKeeper connect 'zk 1' must be 'embedded' or host:port[,host:port...][/chroot]",
                "up", "--zk", "zk 1");
    }

    private static void assertRefused(String reason, String... args) throws Exception {
        Run r = mcp(List.of(args));
        assertEquals(2, r.exit, String.join(" ", args));
        assertTrue(r.err.startsWith(reason + "\nUsage: mcp up"), r.err);
        assertEquals("", r.out);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run mcp(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(NodeAgent.HOME.resolve("bin/mcp").toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(NodeAgent.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, err);
    }
}
