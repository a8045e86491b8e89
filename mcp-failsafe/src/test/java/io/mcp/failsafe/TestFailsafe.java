package io.mcp.failsafe;

import io.mcp.core.paths.NodePaths;
import java.nio.file.Path;
import java.util.List;

/** The failsafe's main path with two {@link TestChild}ren in place of forker and master. Argument: ROOT. */
public final class TestFailsafe {
    private TestFailsafe() {
    }

    public static void main(String[] args) {
        NodePaths paths = new NodePaths(Path.of(args[0]));
        System.exit(FailsafeMain.run(paths, List.of(TestChild.child(paths, NodePaths.FORKER),
                TestChild.child(paths, NodePaths.MASTER))));
    }
}
