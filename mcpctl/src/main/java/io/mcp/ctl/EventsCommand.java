package io.mcp.ctl;

import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code events [-n N] [--json]}: the newest events, newest last. Reads var/log/events.jsonl
 * itself, so it works while the master is down.
 */
final class EventsCommand implements Callable<Integer> {
    private final Context ctx;
    final CommandSpec spec;
    private final OptionSpec json = Options.json();
    private final OptionSpec count = OptionSpec.builder("-n").type(int.class).paramLabel("N").defaultValue("50")
            .description("How many of the newest events to show (default: ${DEFAULT-VALUE}).").build();

    EventsCommand(Context ctx) {
        this.ctx = ctx;
        spec = CommandSpec.wrapWithoutInspection(this).name("events")
                .addOption(count).addOption(json).addOption(Options.help());
        spec.usageMessage().description("Show alerts and notable events, newest last.");
    }

    @Override
    public Integer call() {
        int n = count.getValue();
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "-n must be at least 1, not " + n);
        }
        NodePaths paths = ctx.paths();
        List<Event> events;
        try {
            events = new EventLog(paths.eventsLog(), Clock.systemUTC()).tail(n);
        } catch (IOException e) {
            throw new CtlException(ExitCode.FAILED, "cannot read " + paths.eventsLog() + ": " + e.getMessage());
        }
        if (Options.isSet(json)) {
            ctx.printJson(events);
        } else if (events.isEmpty()) {
            ctx.out.println("No events in " + paths.eventsLog());
        } else {
            Table table = new Table("Time", "Level", "Source", "Kind", "Message");
            for (Event e : events) {
                table.row(Table.cell(e.time()), Table.cell(e.level()), Table.cell(e.source()), Table.cell(e.kind()),
                        Table.oneLine(e.message()));
            }
            table.print(ctx.out);
        }
        return ExitCode.OK;
    }
}
