package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcp.core.control.ClusterServices;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.ServiceStatus;
import io.mcp.core.control.ServiceStatus.ActionResult;
import io.mcp.core.proto.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What {@code services} shows, apart from its command line: free of picocli, so that the
 * {@link FastPath} can run it without loading picocli at all.
 */
final class ServicesView {
    /** The JSON contract of a service (DESIGN.md section 5): always present, in this order. */
    static final List<String> CONTRACT_KEYS =
            List.of("name", "description", "enabled", "display", "state", "pid", "restarts", "options");
    private static final int DESCRIPTION_WIDTH = 40;

    private final Context ctx;

    ServicesView(Context ctx) {
        this.ctx = ctx;
    }

    /**
     * {@code services [-a]} as a table, read without Jackson (see {@link MiniJson}): the same
     * table as {@link #list} prints.
     */
    void listTable(boolean includeHidden) {
        Object data = ctx.master().askWithoutJackson(
                "{\"command\":\"" + ControlRequest.SERVICES + "\",\"all\":" + includeHidden + "}");
        if (data == null) {
            throw new CtlException(ExitCode.FAILED, "mcp-master answered without data");
        }
        if (!(data instanceof List<?> list)) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: not a list of services");
        }
        List<Map<?, ?>> services = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: not a service");
            }
            services.add(m);
        }
        services.sort(new Comparator<Map<?, ?>>() { // not a lambda: see MasterClient#askWithoutJackson
            @Override
            public int compare(Map<?, ?> a, Map<?, ?> b) {
                return ((String) a.get("name")).compareTo((String) b.get("name"));
            }
        });
        Table table = new Table("Service Name", "Service Description", "Enable", "State", "PID");
        for (Map<?, ?> m : services) {
            table.row((String) m.get("name"), Table.truncate((String) m.get("description"), DESCRIPTION_WIDTH),
                    Boolean.TRUE.equals(m.get("enabled")) ? "Yes" : "No", Table.cell(m.get("state")),
                    Table.cell(m.get("pid")));
        }
        table.print(ctx.out);
        ctx.out.println("Total: " + table.size());
    }

    /** {@code services NAME [--json]}. */
    void detail(String service, boolean asJson) {
        ServiceStatus s = read(ctx.master().ask(new ControlRequest(ControlRequest.SERVICE, service, false)));
        if (asJson) {
            ctx.printJson(toJson(s, true));
        } else {
            printDetail(s);
        }
    }

    void list(boolean includeHidden, boolean asJson) {
        JsonNode data = ctx.master().ask(new ControlRequest(ControlRequest.SERVICES, null, includeHidden));
        List<ServiceStatus> services = Arrays.asList(convert(data, ServiceStatus[].class));
        services.sort(Comparator.comparing(ServiceStatus::name));
        if (asJson) {
            ArrayNode array = Json.MAPPER.createArrayNode();
            services.forEach(s -> array.add(toJson(s, false)));
            ctx.printJson(array);
            return;
        }
        Table table = new Table("Service Name", "Service Description", "Enable", "State", "PID");
        for (ServiceStatus s : services) {
            table.row(s.name(), Table.truncate(s.description(), DESCRIPTION_WIDTH), s.enabled() ? "Yes" : "No",
                    Table.cell(s.state()), Table.cell(s.pid()));
        }
        table.print(ctx.out);
        ctx.out.println("Total: " + table.size());
    }

    void listCluster(boolean includeHidden, boolean asJson) {
        JsonNode data = ctx.master().ask(new ControlRequest(ControlRequest.CLUSTER_SERVICES, null, includeHidden));
        if (asJson) {
            ctx.printJson(data);
            return;
        }
        ClusterServices view = convert(data, ClusterServices.class);
        List<String> header = new ArrayList<>(List.of("Service Name"));
        for (String node : view.nodes()) {
            header.add("Node " + node + (view.liveNodes().contains(node) ? "" : " (down)"));
        }
        Table table = new Table(header.toArray(String[]::new));
        for (ClusterServices.Row row : view.services()) {
            List<String> cells = new ArrayList<>(List.of(row.name()));
            view.nodes().forEach(node -> cells.add(Table.cell(row.states().get(node))));
            table.row(cells.toArray(String[]::new));
        }
        table.print(ctx.out);
        ctx.out.println("Total: " + table.size());
    }

    private void printDetail(ServiceStatus s) {
        KeyValues kv = new KeyValues()
                .add("Service", s.name())
                .add("Description", s.description())
                .add("Definition file", s.file())
                .add("Enabled", s.enabled() ? "Yes" : "No")
                .add("Displayed", s.display() ? "Yes" : "No")
                .add("Options", s.options() == null || s.options().isEmpty() ? null : String.join(", ", s.options()))
                .add("State", s.state())
                .add("Phase", s.phase())
                .add("Since", s.since())
                .add("PID", s.pid())
                .add("Restarts", s.restarts())
                .add("Backoff", s.backoffSeconds() == null ? null
                        : s.backoffSeconds() + " s" + (s.nextStartAt() == null ? "" : " (next start " + s.nextStartAt() + ")"))
                .add("Reason", s.reason())
                .add("Process name", s.processName())
                .add("PID file", s.pidFile());
        kv.print(ctx.out);
        List<ActionResult> actions = s.lastActions();
        if (actions == null || actions.isEmpty()) {
            return;
        }
        ctx.out.println("Last actions:");
        for (ActionResult a : actions) {
            ctx.out.println("  " + a.list() + "  " + Table.cell(a.at()) + "  " + (a.ok() ? "ok" : "FAILED") + "  "
                    + a.durationMillis() + " ms" + (a.summary() == null ? "" : "  " + a.summary()));
            if (a.outputTail() != null && !a.outputTail().isBlank()) {
                a.outputTail().stripTrailing().lines().forEach(line -> ctx.out.println("    | " + line));
            }
        }
    }

    /**
     * A service as JSON: the contract keys always, {@code null} included (the shared mapper
     * leaves nulls out of objects it writes, not out of a tree built here), then with
     * {@code detail} the other fields the master sent.
     */
    static ObjectNode toJson(ServiceStatus s, boolean detail) {
        ObjectNode node = Json.MAPPER.createObjectNode()
                .put("name", s.name())
                .put("description", s.description())
                .put("enabled", s.enabled())
                .put("display", s.display())
                .put("state", s.state())
                .put("pid", s.pid())
                .put("restarts", s.restarts());
        ArrayNode options = node.putArray("options");
        if (s.options() != null) {
            s.options().forEach(options::add);
        }
        if (detail) {
            ObjectNode all = Json.MAPPER.valueToTree(s);
            for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!CONTRACT_KEYS.contains(field.getKey())) {
                    node.set(field.getKey(), field.getValue());
                }
            }
        }
        return node;
    }

    static ServiceStatus read(JsonNode data) {
        return convert(data, ServiceStatus.class);
    }

    private static <T> T convert(JsonNode data, Class<T> type) {
        try {
            T value = Json.MAPPER.treeToValue(data, type);
            if (value == null) {
                throw new CtlException(ExitCode.FAILED, "mcp-master answered without data");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: " + e.getOriginalMessage());
        }
    }
}
