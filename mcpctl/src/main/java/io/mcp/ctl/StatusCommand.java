package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.NodeStatus;
import io.mcp.core.control.NodeStatus.ProcessEntry;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code status [--json]}: the three MCP processes, this node and its cluster, as the master
 * sees them. With the master down it still shows what the PID files say, then fails with 3.
 */
final class StatusCommand implements Callable<Integer> {
    private static final List<String> PROCESSES = List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER);

    private final Context ctx;
    final CommandSpec spec;
    private final OptionSpec json = Options.json();

    StatusCommand(Context ctx) {
        this.ctx = ctx;
        spec = CommandSpec.wrapWithoutInspection(this).name("status").addOption(json).addOption(Options.help());
        spec.usageMessage().description("Show the MCP processes, this node and its cluster.");
    }

    @Override
    public Integer call() {
        NodePaths paths = ctx.paths();
        JsonNode data;
        try {
            data = ctx.master().ask(new ControlRequest(ControlRequest.STATUS, null, false));
        } catch (CtlException e) {
            if (e.exitCode() == ExitCode.UNREACHABLE) {
                printLocal(paths);
            }
            throw e;
        }
        NodeStatus status;
        try {
            status = Json.MAPPER.treeToValue(data, NodeStatus.class);
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: " + e.getOriginalMessage());
        }
        if (status == null) {
            throw new CtlException(ExitCode.FAILED, "mcp-master answered without data");
        }
        if (Options.isSet(json)) {
            ctx.printJson(status);
            return ExitCode.OK;
        }
        new KeyValues()
                .add("Node", status.nodeId())
                .add("Root", status.root())
                .add("ZooKeeper", status.zookeeper())
                .add("Quorum", status.quorum() == null ? null : status.quorum() ? "yes" : "no")
                .add("Live members", status.liveMembers() == null ? null : String.join(", ", status.liveMembers()))
                .add("Overrides", status.overridesInSync() == null ? null
                        : status.overridesInSync() ? "in sync" : "not in sync")
                .add("Services", status.services() + " (" + status.running() + " running)")
                .print(ctx.out);
        NodeStatus.Duplicate d = status.duplicate();
        if (d != null) {
            ctx.out.println("Duplicate node id: " + status.nodeId() + " is also used by "
                    + (d.host() == null ? "an unknown master" : "the master on host " + d.host() + " with PID " + d.pid())
                    + " (ZooKeeper session " + d.session() + "), which owns its member node;"
                    + " this node keeps itself out of quorum");
        }
        ctx.out.println();
        printProcesses(status.processes());
        return ExitCode.OK;
    }

    /** What the PID files under var/run say, for when the master cannot be asked. */
    private void printLocal(NodePaths paths) {
        List<ProcessEntry> processes = new ArrayList<>();
        for (String name : PROCESSES) {
            OptionalLong pid = PidFiles.read(paths.pidFile(name));
            if (pid.isEmpty()) {
                processes.add(new ProcessEntry(name, null, false));
            } else {
                boolean alive = Os.linux().inspect(pid.getAsLong()).filter(ProcessInfo::alive).isPresent();
                processes.add(new ProcessEntry(name, pid.getAsLong(), alive));
            }
        }
        if (Options.isSet(json)) {
            ObjectNode node = Json.MAPPER.createObjectNode().put("root", paths.root().toString());
            ArrayNode array = node.putArray("processes");
            for (ProcessEntry p : processes) {
                array.addObject().put("name", p.name()).put("pid", p.pid()).put("alive", p.alive());
            }
            ctx.printJson(node);
        } else {
            ctx.out.println("mcp-master is not reachable; from the PID files under " + paths.runDir() + ":");
            printProcesses(processes);
        }
    }

    private void printProcesses(List<ProcessEntry> processes) {
        Table table = new Table("Process", "PID", "Running");
        for (ProcessEntry p : processes == null ? List.<ProcessEntry>of() : processes) {
            String running = p.alive() ? "yes" : p.pid() == null ? "no (no PID file)" : "no (stale PID file)";
            table.row(p.name(), Table.cell(p.pid()), running);
        }
        table.print(ctx.out);
    }
}
