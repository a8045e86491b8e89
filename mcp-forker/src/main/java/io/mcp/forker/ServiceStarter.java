package io.mcp.forker;

import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.proto.ForkerReply;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The {@code spawn} operation: starts a foreground service in a new session and answers as soon as
 * it is started. Its exit is reaped by the {@link Reaper}; the master watches the PID itself.
 */
final class ServiceStarter {
    private final Spawner spawner;
    private final Os os;

    ServiceStarter(Spawner spawner, Os os) {
        this.spawner = spawner;
        this.os = os;
    }

    /** A spawn's answer, with the child when one was started and kept. */
    record Started(ForkerReply reply, Spawner.Child child) {
    }

    Started start(String command, ShellCommand shell, Path log, Path pidFile) {
        long started = System.nanoTime();
        Spawner.Child child;
        try {
            // The service itself is the spawned process (directly, or through sh's "exec"): its
            // PID is the one we write, and it leads its own session and process group.
            child = shell.start(spawner, command, true, log);
        } catch (SpawnException e) {
            return new Started(new ForkerReply(false, null, null, e.execFailed(), false, millisSince(started), command,
                    null, null, e.getMessage()), null);
        }
        try {
            PidFiles.write(pidFile, child.pid());
        } catch (IOException e) {
            // Without its PID file the master would not find it and would start a second copy.
            os.killGroup(child.pid(), Os.SIGKILL);
            return new Started(ForkerReply.failure("cannot write " + pidFile + " (" + e + "); killed pid " + child.pid()),
                    null);
        }
        return new Started(new ForkerReply(true, null, null, false, false, millisSince(started), null, null, child.pid(),
                null), child);
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
