package io.mcp.failsafe;

import io.mcp.core.daemon.Daemon;
import io.mcp.core.paths.NodePaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Stands in for mcp-master or mcp-forker in a JVM of its own: takes the name, writes the PID
 * file under the root and exits when its lifeline closes. Arguments: ROOT NAME.
 */
public final class TestChild {
    private TestChild() {
    }

    public static void main(String[] args) throws Exception {
        NodePaths paths = new NodePaths(Path.of(args[0]));
        String name = args[1];
        Daemon.nameProcess(name);
        Daemon.exitWhenStdinCloses(name);
        Daemon.writePidFile(paths.pidFile(name));
        new CountDownLatch(1).await(); // the lifeline thread ends the JVM
    }

    /** A child of this kind, named as MCP's own so that {@code ps} and the orphan check know it. */
    static Processes.Child child(NodePaths paths, String name) {
        return new Processes.Child(name, java("-Dmcp.process=" + name, TestChild.class, paths.root().toString(), name));
    }

    /** A lean JVM running {@code main} from the test class path. */
    static List<String> java(String property, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                property, "-XX:+UseSerialGC", "-Xss256k", "-XX:TieredStopAtLevel=1", "-Xmx32m",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
