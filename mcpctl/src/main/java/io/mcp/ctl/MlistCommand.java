package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.MlistReport;
import io.mcp.core.proto.Json;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code mlist [--json]}: this node's local mlist beside the cluster's master mlist, their
 * differences, and the local files changed since their entry. When the master runs but cannot
 * read the master mlist (ZooKeeper away), the local side is still shown, and the command fails
 * with {@link ExitCode#FAILED} and the reason.
 */
final class MlistCommand implements Callable<Integer> {
    /** md5 digests are shown this long in the table; {@code --json} has them whole. */
    private static final int MD5_WIDTH = 12;

    /** Every field always present, null included: the document's shape does not depend on the answer. */
    private static final com.fasterxml.jackson.databind.ObjectMapper ALL_FIELDS = Json.MAPPER.copy()
            .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS);

    private final Context ctx;
    final CommandSpec spec;
    private final OptionSpec json = Options.json();

    MlistCommand(Context ctx) {
        this.ctx = ctx;
        spec = CommandSpec.wrapWithoutInspection(this).name("mlist").addOption(json).addOption(Options.help());
        spec.usageMessage().description("Compare this node's mlist of override files with the cluster's.");
    }

    @Override
    public Integer call() {
        JsonNode data = ctx.master().ask(new ControlRequest(ControlRequest.MLIST, null, false));
        MlistReport report;
        try {
            report = Json.MAPPER.treeToValue(data, MlistReport.class);
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: " + e.getOriginalMessage());
        }
        if (report == null) {
            throw new CtlException(ExitCode.FAILED, "mcp-master answered without data");
        }
        if (Options.isSet(json)) {
            try {
                ctx.out.println(ALL_FIELDS.writerWithDefaultPrettyPrinter().writeValueAsString(report));
            } catch (JsonProcessingException e) {
                throw new CtlException(ExitCode.FAILED, "cannot write JSON: " + e.getOriginalMessage());
            }
        } else {
            print(report);
        }
        if (!report.clusterAvailable()) {
            throw new CtlException(ExitCode.FAILED, "the cluster's mlist is unavailable: "
                    + Table.cell(report.clusterError()));
        }
        return ExitCode.OK;
    }

    private void print(MlistReport r) {
        Map<String, MlistReport.Entry> local = byPath(r.local());
        Map<String, MlistReport.Entry> master = byPath(r.master());
        TreeSet<String> paths = new TreeSet<>(local.keySet());
        paths.addAll(master.keySet());
        paths.addAll(list(r.unpublished()));
        Table table = new Table("Path", "Local MD5", "Local Rev", "Cluster MD5", "Cluster Rev", "Changed By",
                "On Disk");
        for (String path : paths) {
            MlistReport.Entry l = local.get(path);
            MlistReport.Entry m = master.get(path);
            String disk = l != null ? l.disk() : list(r.unpublished()).contains(path) ? "new" : "-";
            table.row(path, l == null ? "-" : shortMd5(l.md5()), l == null ? "-" : Integer.toString(l.revision()),
                    m == null ? (r.clusterAvailable() ? "-" : "?") : shortMd5(m.md5()),
                    m == null ? (r.clusterAvailable() ? "-" : "?") : Integer.toString(m.revision()),
                    m == null ? "-" : Table.cell(m.node()), Table.cell(disk));
        }
        ctx.out.println("Node " + Table.cell(r.node()) + " of cluster " + Table.cell(r.cluster()));
        table.print(ctx.out);
        ctx.out.println("Total: " + table.size());
        ctx.out.println();
        if (!r.clusterAvailable()) {
            ctx.out.println("The cluster's mlist is unavailable: " + Table.cell(r.clusterError()));
        } else if (list(r.differences()).isEmpty()) {
            ctx.out.println("Local and cluster mlists agree.");
        } else {
            ctx.out.println("Differences:");
            for (MlistReport.Difference d : r.differences()) {
                ctx.out.println("  " + d.path() + ": " + describe(d));
            }
        }
        List<String> pending = pending(r);
        if (!pending.isEmpty()) {
            ctx.out.println("Pending local edits:");
            pending.forEach(line -> ctx.out.println("  " + line));
        }
    }

    private static String describe(MlistReport.Difference d) {
        return switch (d.kind()) {
            case MlistReport.ONLY_LOCAL -> "only in the local mlist (local " + shortMd5(d.localMd5()) + " rev "
                    + d.localRevision() + ")";
            case MlistReport.ONLY_CLUSTER -> "only in the cluster's mlist (cluster " + shortMd5(d.clusterMd5())
                    + " rev " + d.clusterRevision() + ")";
            case MlistReport.MD5 -> "md5 differs (local " + shortMd5(d.localMd5()) + " rev " + d.localRevision()
                    + ", cluster " + shortMd5(d.clusterMd5()) + " rev " + d.clusterRevision() + ")";
            case MlistReport.REVISION -> "revision differs (local " + d.localRevision() + ", cluster "
                    + d.clusterRevision() + ", same md5 " + shortMd5(d.localMd5()) + ")";
            default -> d.kind();
        };
    }

    private static List<String> pending(MlistReport r) {
        List<String> out = new java.util.ArrayList<>();
        for (MlistReport.Entry e : list(r.local())) {
            if (MlistReport.DISK_MODIFIED.equals(e.disk())) {
                out.add(e.path() + ": modified on disk since its mlist entry");
            } else if (MlistReport.DISK_MISSING.equals(e.disk())) {
                out.add(e.path() + ": deleted on disk, still in the mlist");
            }
        }
        for (String path : list(r.unpublished())) {
            out.add(path + ": on disk, not in the mlist (not published yet, or refused: see mcpctl events)");
        }
        return out;
    }

    private static Map<String, MlistReport.Entry> byPath(List<MlistReport.Entry> entries) {
        Map<String, MlistReport.Entry> map = new TreeMap<>();
        for (MlistReport.Entry e : list(entries)) {
            map.put(e.path(), e);
        }
        return map;
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    private static String shortMd5(String md5) {
        return md5 == null ? "-" : md5.length() <= MD5_WIDTH ? md5 : md5.substring(0, MD5_WIDTH);
    }
}
