package io.mcp.ctl;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/**
 * {@code mcpctl [--root DIR] COMMAND}: the command line of MCP. It asks the local master over
 * its control socket (DESIGN.md section 5) and prints a table, or one JSON document with
 * {@code --json}. Exit codes are in {@link ExitCode}.
 */
public final class Mcpctl implements Callable<Integer> {
    /** How long to wait for the master's answer once connected. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CommandSpec spec;

    private Mcpctl(Context ctx) {
        OptionSpec root = OptionSpec.builder("--root").type(String.class).paramLabel("DIR")
                .scopeType(ScopeType.INHERIT)
                .description("The node's root directory (default: $MCP_ROOT, else the current directory).")
                .setter(new ISetter() {
                    @Override
                    @SuppressWarnings("unchecked")
                    public <T> T set(T value) {
                        T old = (T) ctx.root;
                        ctx.root = (String) value;
                        return old;
                    }
                })
                .build();
        spec = CommandSpec.wrapWithoutInspection(this).name("mcpctl").addOption(root).addOption(Options.help());
        spec.usageMessage().description("Control the services MCP runs on this node and its cluster.");
    }

    /** The missing command is a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: services, status, events or mlist");
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
        if (fast != null) {
            return fast;
        }
        ctx.root = null;
        CommandLine cl = new CommandLine(new Mcpctl(ctx).spec);
        cl.addSubcommand(new CommandLine(new ServicesCommand(ctx).spec));
        cl.addSubcommand(new CommandLine(new StatusCommand(ctx).spec));
        cl.addSubcommand(new CommandLine(new EventsCommand(ctx).spec));
        cl.addSubcommand(new CommandLine(new MlistCommand(ctx).spec));
        // set after the subcommands: these settings reach the commands present when they are made
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((e, arguments) -> {
            err.println("mcpctl: " + Table.oneLine(e.getMessage()));
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof CtlException c) {
                err.println("mcpctl: " + Table.oneLine(c.getMessage()));
                return c.exitCode();
            }
            err.println("mcpctl: unexpected error: " + Table.oneLine(e.toString()));
            return ExitCode.FAILED;
        });
        return cl.execute(args);
    }
}
