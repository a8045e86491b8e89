package io.mcp.forker;

import java.nio.file.Path;
import jnr.constants.platform.Errno;

/** A child could not be started. Says whether the program could not be executed or resources ran out. */
final class SpawnException extends Exception {
    private final boolean execFailed;

    private SpawnException(String message, boolean execFailed) {
        super(message);
        this.execFailed = execFailed;
    }

    /** {@code open(2)} of the output log failed: nothing was started. */
    static SpawnException cannotOpenLog(Path log, int errno) {
        return new SpawnException("cannot open log " + log + ": " + describe(errno), false);
    }

    /**
     * {@code posix_spawn(3)} failed. Shortages (no process slot, memory or descriptor) are resource
     * failures worth retrying later; anything else means the program itself cannot be executed.
     */
    static SpawnException spawnFailed(String program, int errno) {
        Errno e = Errno.valueOf(errno);
        boolean resource = e == Errno.EAGAIN || e == Errno.ENOMEM || e == Errno.EMFILE || e == Errno.ENFILE;
        return new SpawnException("cannot spawn " + program + ": " + describe(errno), !resource);
    }

    private static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        return e.description() + " (" + e.name() + ")";
    }

    /** True when the program could not be executed; false for a resource failure. */
    boolean execFailed() {
        return execFailed;
    }
}
