package io.mcp.ctl;

import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.ServiceStatus;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code services [-a] [--json]}, {@code services NAME [--json]} and
 * {@code services NAME enable|disable [--json]}.
 */
final class ServicesCommand implements Callable<Integer> {
    /** The JSON contract of a service (DESIGN.md section 5): always present, in this order. */
    static final List<String> CONTRACT_KEYS = ServicesView.CONTRACT_KEYS;
    private static final Set<String> ACTIONS = Set.of(ControlRequest.ENABLE, ControlRequest.DISABLE);

    private final Context ctx;
    private final ServicesView view;
    final CommandSpec spec;
    private final OptionSpec all = Options.flag("Include hidden services (display=\"0\").", "-a", "--all");
    private final OptionSpec json = Options.json();
    private final OptionSpec cluster = Options.flag("Every node's state of every service, side by side.", "--cluster");
    private final PositionalParamSpec name = PositionalParamSpec.builder().index("0").arity("0..1")
            .paramLabel("NAME").description("Show this service in detail.").build();
    private final PositionalParamSpec action = PositionalParamSpec.builder().index("1").arity("0..1")
            .paramLabel("ACTION").description("enable or disable: write the service's override (every node).")
            .build();

    ServicesCommand(Context ctx) {
        this.ctx = ctx;
        this.view = new ServicesView(ctx);
        spec = CommandSpec.wrapWithoutInspection(this).name("services")
                .addOption(all).addOption(cluster).addOption(json).addOption(Options.help())
                .addPositional(name).addPositional(action);
        spec.usageMessage().description("List services, show one, or enable or disable one.");
    }

    @Override
    public Integer call() {
        String service = name.getValue();
        String act = action.getValue();
        boolean asJson = Options.isSet(json);
        if (service == null && Options.isSet(cluster)) {
            view.listCluster(Options.isSet(all), asJson);
        } else if (service == null) {
            view.list(Options.isSet(all), asJson);
        } else if (Options.isSet(cluster)) {
            throw new ParameterException(spec.commandLine(), "--cluster lists all services; it takes no NAME");
        } else if (Options.isSet(all)) {
            throw new ParameterException(spec.commandLine(), "-a lists all services; it takes no NAME");
        } else if (act == null) {
            view.detail(service, asJson);
        } else if (ACTIONS.contains(act)) {
            ServiceStatus s = ServicesView.read(ctx.master().ask(new ControlRequest(act, service, false)));
            if (asJson) {
                ctx.printJson(ServicesView.toJson(s, true));
            } else {
                ctx.out.println("Service " + s.name() + " " + act + "d (state: " + Table.cell(s.state()) + ").");
            }
        } else {
            throw new ParameterException(spec.commandLine(),
                    "unknown action '" + act + "' for services NAME: expected enable or disable");
        }
        return ExitCode.OK;
    }
}
