package io.mcp.core.os;

import java.util.Optional;

/**
 * The operating-system calls MCP makes about processes, in one place, so that unit tests can
 * replace them with a fake that records calls and injects errors.
 */
public interface Os {
    int SIGKILL = 9;
    int SIGTERM = 15;

    /** The process with this PID, if there is one (zombies included: see {@link ProcessInfo#alive()}). */
    Optional<ProcessInfo> inspect(long pid);

    /**
     * Sends {@code signal} to one process. Returns false when there is no such process (ESRCH,
     * which is benign); throws on anything else, e.g. EPERM.
     */
    boolean kill(long pid, int signal);

    /** Sends {@code signal} to a process group; false when the group is empty. */
    boolean killGroup(long pgid, int signal);

    /** This process's PID. */
    long pid();

    /** The real OS. */
    static Os linux() {
        return LinuxOs.INSTANCE;
    }
}
