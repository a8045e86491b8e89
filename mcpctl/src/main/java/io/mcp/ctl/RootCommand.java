package io.mcp.ctl;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/**
 * {@code mcpctl} as picocli parses it, with its subcommands: every command line that {@link
 * FastPath} does not answer. A class of its own, so that a listing never loads picocli (checking
 * a class that names picocli types loads them, from the jar).
 */
final class RootCommand implements Callable<Integer> {
    private final CommandSpec spec;

    private RootCommand(Context ctx) {
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

    /** Parses and runs {@code args}; returns the exit code. */
    static int execute(String[] args, Context ctx) {
        PrintWriter out = ctx.out;
        PrintWriter err = ctx.err;
        ctx.root = null;
        CommandLine cl = new CommandLine(new RootCommand(ctx).spec);
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
