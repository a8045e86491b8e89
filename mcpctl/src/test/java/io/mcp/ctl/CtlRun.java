package io.mcp.ctl;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;

/** One in-process run of the CLI: its exit code and what it printed. */
record CtlRun(int code, String out, String err) {

    static CtlRun run(String... args) {
        return run(Mcpctl.TIMEOUT, args);
    }

    static CtlRun run(Duration timeout, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err);
        int code = Mcpctl.run(args, o, e, timeout);
        o.flush();
        e.flush();
        return new CtlRun(code, out.toString(), err.toString());
    }

    List<String> outLines() {
        return out.lines().toList();
    }

    List<String> errLines() {
        return err.lines().toList();
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
