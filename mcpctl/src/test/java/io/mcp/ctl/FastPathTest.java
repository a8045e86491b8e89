package io.mcp.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which command lines skip picocli; the others must reach it untouched. */
class FastPathTest {
    @TempDir
    Path root;

    private Integer run(StringWriter err, String... args) {
        String[] withRoot = Stream.of(args).map(a -> a.replace("ROOT", root.toString())).toArray(String[]::new);
        return FastPath.run(withRoot, new Context(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                Duration.ofSeconds(1)));
    }

    @Test
    void listingsAndOneServiceAreRunWithoutPicocli() {
        for (String line : new String[] {"--root ROOT services", "--root ROOT services -a", "--root=ROOT services --all --json",
            "services --root ROOT -a --json", "--root ROOT services --json -a", "--root ROOT services svc",
            "--root ROOT services svc --json", "services svc --root=ROOT"}) {
            StringWriter err = new StringWriter();
            // No master here: the run got as far as asking it.
            assertEquals(ExitCode.UNREACHABLE, run(err, line.split(" ")), line);
            assertTrue(err.toString().startsWith("mcpctl: cannot reach mcp-master at " + root), err.toString());
        }
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        for (String line : new String[] {"", "--root ROOT", "status", "events", "--root ROOT status --json",
            "services --help", "services -h", "--help", "services -a svc", "services svc enable", "services a b",
            "services --cluster", "services -a -a", "services --json --json", "--root ROOT --root ROOT services",
            "--root services", "--root= services", "services --root", "services -x", "services -aj", "services --",
            "services --all=true", "service", "Services"}) {
            assertNull(run(new StringWriter(), line.isEmpty() ? new String[0] : line.split(" ")), line);
        }
    }
}
