package io.mcp.failsafe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.paths.NodePaths;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FailsafeMainTest {
    @Test
    void forkerThenMasterWithLeanFlagsAndTheLifeline() {
        List<Failsafe.Child> children = FailsafeMain.children(Path.of("/opt/mcp"), new NodePaths(Path.of("/srv/node")),
                "n2", "zk1:2181,zk2:2181");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        assertEquals(new Failsafe.Child("mcp-forker", List.of(java, "-Dmcp.process=mcp-forker", "-Dmcp.root=/srv/node",
                "-Dmcp.lifeline=true", "-XX:+UseSerialGC", "-Xss256k", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-Xms8m", "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000",
                "-Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider", "-Xmx32m", "-cp",
                "/opt/mcp/mcp-forker/target/mcp-forker.jar:/opt/mcp/mcp-forker/target/lib/*",
                "io.mcp.forker.ForkerMain")), children.get(0));
        assertEquals(new Failsafe.Child("mcp-master", List.of(java, "-Dmcp.process=mcp-master", "-Dmcp.root=/srv/node",
                "-Dmcp.lifeline=true", "-Dmcp.node-id=n2", "-Dmcp.zk=zk1:2181,zk2:2181", "-XX:+UseSerialGC", "-Xss256k",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xms8m", "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000",
                "-Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider", "-Xmx96m", "-cp",
                "/opt/mcp/mcp-master/target/mcp-master.jar:/opt/mcp/mcp-master/target/lib/*",
                "io.mcp.master.MasterMain")), children.get(1));
    }

    @Test
    void helpExitsZeroAndBadCommandLinesExitWithAReason() {
        assertRun(0, "Usage: mcp [-h] COMMAND", "--help");
        assertRun(0, "Usage: mcp up [-h] [--root=DIR] [--node-id=N] [--zk=CONNECT]", "up", "--help");
        assertRun(FailsafeMain.EXIT_USAGE, "mcp: missing command");
        assertRun(FailsafeMain.EXIT_USAGE, "Unmatched argument at index 0: 'down'", "down");
        assertRun(FailsafeMain.EXIT_USAGE, "Unknown options: '--rot', '/tmp'", "up", "--rot", "/tmp");
        assertRun(FailsafeMain.EXIT_USAGE, "node id 'a b' must be", "up", "--node-id", "a b");
        assertRun(FailsafeMain.EXIT_USAGE, "ZooKeeper connect 'zk 1' must be", "up", "--zk", "zk 1");
    }

    @Test
    void theClassPathFollowsTheBuildsListAndFallsBackToEveryJar(@TempDir Path target) throws Exception {
        assertEquals(target.resolve("mcp-master.jar") + ":" + target.resolve("lib") + "/*",
                FailsafeMain.classPath(target, "mcp-master"));

        Files.writeString(target.resolve("classpath"), "lib/mcp-core.jar:lib/jackson-core.jar\n");

        assertEquals(target.resolve("mcp-master.jar") + ":" + target.resolve("lib/mcp-core.jar") + ":"
                + target.resolve("lib/jackson-core.jar"), FailsafeMain.classPath(target, "mcp-master"));
    }

    @Test
    void theCommonCommandLineIsParsedWithoutPicocli() {
        FailsafeMain m = FailsafeMain.plainUp(new String[] {"up", "--root", "/srv/node", "--node-id=n2", "--zk", "zk1:2181"});
        assertEquals(Path.of("/srv/node"), m.root);
        assertEquals("n2", m.nodeId);
        assertEquals("zk1:2181", m.zk);
        FailsafeMain bare = FailsafeMain.plainUp(new String[] {"up"});
        assertEquals(null, bare.root);
        assertEquals(null, bare.nodeId);
        assertEquals(null, bare.zk);
        for (String[] other : List.of(new String[] {}, new String[] {"down"}, new String[] {"up", "--help"},
                new String[] {"up", "-h"}, new String[] {"up", "--rot", "/tmp"}, new String[] {"up", "--root"},
                new String[] {"up", "--root", "/a", "--root", "/b"}, new String[] {"up", "--root="},
                new String[] {"up", "--root", "--zk", "x:1"}, new String[] {"up", "--node-id", "a b"},
                new String[] {"up", "--zk", "zk 1"}, new String[] {"up", "/tmp"}, new String[] {"--root", "/x", "up"})) {
            assertEquals(null, FailsafeMain.plainUp(other), String.join(" ", other));
        }
    }

    private static void assertRun(int exitCode, String expectedOutput, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = FailsafeMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        assertEquals(exitCode, cl.execute(args), String.join(" ", args));
        assertTrue(out.toString().contains(expectedOutput), out.toString());
    }
}
