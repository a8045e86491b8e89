package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcp.core.control.ClusterServices;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.ServiceStatus;
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

    /** {@code services NAME [--json]}; the key-value lines are read without Jackson, like {@link #listTable}. */
    void detail(String service, boolean asJson) {
        if (asJson) {
            ctx.printJson(toJson(read(ctx.master().ask(new ControlRequest(ControlRequest.SERVICE, service, false))), true));
            return;
        }
        Object data = ctx.master().askWithoutJackson("{\"command\":\"" + ControlRequest.SERVICE + "\",\"service\":"
                + MiniJson.quote(service) + ",\"all\":false}");
        if (!(data instanceof Map<?, ?> s)) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: not a service");
        }
        printDetail(s);
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

    /** A service's fields as {@link ServiceStatus} names them in JSON. */
    private void printDetail(Map<?, ?> s) {
        Object options = s.get("options");
        Object backoff = s.get("backoffSeconds");
        Object next = s.get("nextStartAt");
        KeyValues kv = new KeyValues()
                .add("Service", s.get("name"))
                .add("Description", s.get("description"))
                .add("Definition file", s.get("file"))
                .add("Enabled", Boolean.TRUE.equals(s.get("enabled")) ? "Yes" : "No")
                .add("Displayed", Boolean.TRUE.equals(s.get("display")) ? "Yes" : "No")
                .add("Options", options instanceof List<?> l && !l.isEmpty() ? joined(l, ", ") : null)
                .add("State", s.get("state"))
                .add("Phase", s.get("phase"))
                .add("Since", s.get("since"))
                .add("PID", s.get("pid"))
                .add("Restarts", s.get("restarts"))
                .add("Backoff", backoff == null ? null : backoff + " s" + (next == null ? "" : " (next start " + next + ")"))
                .add("Reason", s.get("reason"))
                .add("Process name", s.get("processName"))
                .add("PID file", s.get("pidFile"));
        kv.print(ctx.out);
        if (!(s.get("lastActions") instanceof List<?> actions) || actions.isEmpty()) {
            return;
        }
        ctx.out.println("Last actions:");
        for (Object o : actions) {
            if (!(o instanceof Map<?, ?> a)) {
                continue;
            }
            Object summary = a.get("summary");
            ctx.out.println("  " + a.get("list") + "  " + Table.cell(a.get("at")) + "  "
                    + (Boolean.TRUE.equals(a.get("ok")) ? "ok" : "FAILED") + "  " + a.get("durationMillis") + " ms"
                    + (summary == null ? "" : "  " + summary));
            if (a.get("outputTail") instanceof String tail && !tail.isBlank()) {
                for (String line : tail.stripTrailing().lines().toList()) {
                    ctx.out.println("    | " + line);
                }
            }
        }
    }

    private static String joined(List<?> items, String separator) {
        StringBuilder b = new StringBuilder();
        for (Object item : items) {
            b.append(b.length() == 0 ? "" : separator).append(item);
        }
        return b.toString();
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
