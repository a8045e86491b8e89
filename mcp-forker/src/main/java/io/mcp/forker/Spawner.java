package io.mcp.forker;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Starts a child process in a new session. The seam that lets tests inject spawn failures. */
interface Spawner {

    /** A started child: its PID (also its session and process-group id) and its exit, once reaped. */
    record Child(long pid, CompletableFuture<ExitStatus> exit) {
    }

    /**
     * Starts {@code argv} (argv[0] is an absolute path) with exactly {@code env}, stdin from
     * {@code /dev/null} and stdout and stderr appended to {@code log}.
     */
    Child spawn(List<String> argv, List<String> env, Path log) throws SpawnException;
}
