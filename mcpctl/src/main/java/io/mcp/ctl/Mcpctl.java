package io.mcp.ctl;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code mcpctl [--root DIR] COMMAND}: the command line of MCP. It asks the local master over
 * its control socket (DESIGN.md section 5) and prints a table, or one JSON document with
 * {@code --json}. Exit codes are in {@link ExitCode}.
 */
public final class Mcpctl {
    /** How long to wait for the master's answer once connected. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Mcpctl() {
    }

    /** Runs the command line and exits with its code: the one place that calls {@code System.exit}. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out);
        PrintWriter err = new PrintWriter(System.err);
        int code = run(args, out, err, TIMEOUT);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line and returns its exit code; the caller flushes {@code out} and {@code err}. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Duration timeout) {
        Context ctx = new Context(out, err, timeout);
        Integer fast = FastPath.run(args, ctx);
        return fast != null ? fast : RootCommand.execute(args, ctx);
    }
}
