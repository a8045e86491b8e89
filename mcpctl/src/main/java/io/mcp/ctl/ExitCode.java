package io.mcp.ctl;

/** The exit codes of {@code mcpctl}, in one place. */
public final class ExitCode {
    /** Done. */
    public static final int OK = 0;
    /** The master refused or failed the request (unknown service, not allowed, ...). */
    public static final int FAILED = 1;
    /** The command line was wrong. */
    public static final int USAGE = 2;
    /** The master is not reachable (not running, or not answering). */
    public static final int UNREACHABLE = 3;

    private ExitCode() {
    }
}
