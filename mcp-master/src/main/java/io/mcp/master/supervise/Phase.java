package io.mcp.master.supervise;

/**
 * The supervision phase of one service. Each phase maps to one of the coarse states
 * {@code mcpctl} shows, in {@link #state()}.
 */
public enum Phase {
    /** Not running and not meant to be, or not yet decided. */
    STOPPED("stopped"),
    /** Meant to run, but a condition (quorum, cluster store) is not met. */
    WAITING("waiting"),
    /** The start actionlist is running. */
    STARTING("starting"),
    /** The start actions succeeded; waiting for the PID file to name the live process. */
    CONFIRMING("starting"),
    /** The process is running and watched. */
    RUNNING("running"),
    /** A start failed or the service keeps crashing; waiting before the next start. */
    BACKOFF("backoff"),
    /**
     * A stop is decided; first the forker is told not to restart the process when it dies, so
     * that no restart races the stop.
     */
    STOPPING_DISARM("stopping"),
    /** The stop actionlist is running. */
    STOPPING_ACTION("stopping"),
    /** SIGTERM was sent to the process group; waiting for it to exit. */
    STOPPING_SIGTERM("stopping"),
    /** SIGKILL was sent to the process group. */
    STOPPING_SIGKILL("stopping"),
    /** No valid definition has ever been read. */
    INVALID("invalid");

    private final String state;

    Phase(String state) {
        this.state = state;
    }

    /** The coarse state of the {@code mcpctl} contract. */
    public String state() {
        return state;
    }
}
