package io.mcp.ctl;

/** Ends a command with an exit code and a one-line reason for stderr. */
final class CtlException extends RuntimeException {
    private final int exitCode;

    CtlException(int exitCode, String reason) {
        super(reason, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
