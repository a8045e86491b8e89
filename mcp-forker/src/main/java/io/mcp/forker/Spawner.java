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
    default Child spawn(List<String> argv, List<String> env, Path log) throws SpawnException {
        return spawn(argv.get(0), argv, env, null, log);
    }

    /**
     * As {@link #spawn(List, List, Path)}, executing {@code program} (an absolute path) with
     * {@code argv} as given (its argv[0] as the command line named it), in {@code workdir}
     * (null: this process's own).
     */
    Child spawn(String program, List<String> argv, List<String> env, Path workdir, Path log) throws SpawnException;

    /** Whether {@code workdir} is supported (else only null may be passed). */
    default boolean changesDirectory() {
        return true;
    }
}
