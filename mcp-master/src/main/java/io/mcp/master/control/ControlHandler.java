package io.mcp.master.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ClusterServices;
import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.NodeStatus;
import io.mcp.core.control.ServiceStatus;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.JsonLineServer;
import io.mcp.core.proto.Json;
import io.mcp.core.control.MlistReport;
import io.mcp.master.cluster.ClusterNode;
import io.mcp.master.cluster.MasterMlist;
import io.mcp.master.cluster.MlistComparison;
import io.mcp.master.cluster.OverrideSync;
import io.mcp.master.override.ServiceOverrides;
import io.mcp.master.supervise.Supervision;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import jdk.net.UnixDomainPrincipal;

/**
 * Answers {@code mcpctl} on the control socket. Reads come from status snapshots; changes are
 * allowed only to root, the daemon's own user, or members of the configured group (peer
 * credentials), and are carried out on the supervision loop.
 */
public final class ControlHandler implements JsonLineServer.Handler<ControlRequest, ControlReply> {
    private final NodePaths paths;
    private final Os os;
    private final Supervision supervision;
    private final ServiceOverrides overrides;
    private final Function<Callable<Void>, Void> onLoop;
    private final String adminGroup;
    private final String nodeId;
    private final Supplier<ClusterNode> cluster;
    private final Supplier<OverrideSync> sync;
    private final Supplier<MasterMlist> masterMlist;
    /** How long {@code mlist} waits for ZooKeeper before it says the master mlist is unavailable. */
    static final java.time.Duration MLIST_READ_TIMEOUT = java.time.Duration.ofSeconds(5);

    /**
     * @param onLoop runs a task on the supervision loop and waits for it
     * @param adminGroup a group whose members may change things, or null
     * @param cluster this node's membership, or null on a node without a cluster
     * @param sync this node's override propagation, or null
     * @param masterMlist the keeper of the cluster's master mlist, or null
     */
    public ControlHandler(NodePaths paths, Os os, Supervision supervision, ServiceOverrides overrides,
            Function<Callable<Void>, Void> onLoop, String adminGroup, String nodeId, Supplier<ClusterNode> cluster,
            Supplier<OverrideSync> sync, Supplier<MasterMlist> masterMlist) {
        this.paths = paths;
        this.os = os;
        this.supervision = supervision;
        this.overrides = overrides;
        this.onLoop = onLoop;
        this.adminGroup = adminGroup;
        this.nodeId = nodeId;
        this.cluster = cluster;
        this.sync = sync;
        this.masterMlist = masterMlist;
    }

    @Override
    public ControlReply handle(ControlRequest request, Supplier<UnixDomainPrincipal> peer) throws IOException {
        if (request.command() == null) {
            return ControlReply.error("no command given");
        }
        if (request.changing() && !trusted(peer.get())) {
            return ControlReply.error("permission denied: user '" + peer.get().user().getName()
                    + "' may not change services (root, the MCP user or the admin group only)");
        }
        return switch (request.command()) {
            case ControlRequest.SERVICES -> ok(supervision.statuses().stream()
                    .filter(s -> request.all() || s.display()).map(ServiceStatus::summary).toList());
            case ControlRequest.CLUSTER_SERVICES -> ok(clusterServices(request.all()));
            case ControlRequest.SERVICE -> withService(request.service(), s -> ok(s));
            case ControlRequest.ENABLE, ControlRequest.DISABLE -> setEnabled(request.service(),
                    ControlRequest.ENABLE.equals(request.command()));
            case ControlRequest.STATUS -> ok(nodeStatus());
            case ControlRequest.MLIST -> mlist();
            default -> ControlReply.error("unknown command '" + request.command() + "'");
        };
    }

    private ControlReply setEnabled(String service, boolean enabled) throws IOException {
        if (supervision.status(service).isEmpty()) {
            return ControlReply.error("no such service: " + service);
        }
        overrides.setEnabled(service, enabled);
        onLoop.apply(() -> {
            supervision.enableOverride(service, Optional.of(enabled));
            return null;
        });
        return withService(service, s -> ok(s));
    }

    private ControlReply withService(String service, Function<ServiceStatus, ControlReply> f) {
        return supervision.status(service).map(f).orElseGet(() -> ControlReply.error("no such service: " + service));
    }

    /**
     * Every live node's published states. Which services are hidden is this node's knowledge:
     * the definitions are the same on every node.
     */
    private ClusterServices clusterServices(boolean all) {
        Map<String, Map<String, String>> byNode = new TreeMap<>();
        List<String> declared;
        ClusterNode c = cluster.get();
        if (c == null) {
            Map<String, String> states = new TreeMap<>();
            supervision.statuses().forEach(s -> states.put(s.name(), s.state()));
            byNode.put(nodeId, states);
            declared = List.of(nodeId);
        } else {
            c.memberStatuses().forEach((node, status) -> byNode.put(node, status.services()));
            declared = c.config().members();
        }
        Set<String> hidden = new HashSet<>();
        supervision.statuses().stream().filter(s -> !s.display()).forEach(s -> hidden.add(s.name()));
        Map<String, Map<String, String>> rows = new TreeMap<>();
        byNode.forEach((node, states) -> states.forEach((service, state) -> {
            if (all || !hidden.contains(service)) {
                rows.computeIfAbsent(service, k -> new TreeMap<>()).put(node, state);
            }
        }));
        return new ClusterServices(declared, List.copyOf(byNode.keySet()),
                rows.entrySet().stream().map(e -> new ClusterServices.Row(e.getKey(), e.getValue())).toList());
    }

    private NodeStatus nodeStatus() {
        List<NodeStatus.ProcessEntry> processes = List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER)
                .stream().map(n -> {
                    var pid = PidFiles.read(paths.pidFile(n));
                    boolean alive = pid.isPresent()
                            && os.inspect(pid.getAsLong()).filter(ProcessInfo::alive).isPresent();
                    return new NodeStatus.ProcessEntry(n, pid.isPresent() ? pid.getAsLong() : null, alive);
                }).toList();
        List<ServiceStatus> all = supervision.statuses();
        int running = (int) all.stream().filter(s -> "running".equals(s.state())).count();
        ClusterNode c = cluster.get();
        if (c == null) {
            return new NodeStatus(paths.root().toString(), nodeId, processes, "none", null, List.of(), all.size(),
                    running, null, null);
        }
        OverrideSync s = sync.get();
        NodeStatus.Duplicate duplicate = c.duplicate().map(d -> new NodeStatus.Duplicate(d.host(), d.pid(),
                d.session())).orElse(null);
        return new NodeStatus(paths.root().toString(), c.config().nodeId(), processes, c.connectionState(),
                c.inQuorum(), List.copyOf(c.liveMembers()), all.size(), running, s == null ? null : s.inSync(),
                duplicate);
    }

    /** The local mlist, the master mlist (when ZooKeeper answers) and their differences. */
    private ControlReply mlist() {
        OverrideSync s = sync.get();
        MasterMlist m = masterMlist.get();
        ClusterNode c = cluster.get();
        if (s == null || m == null || c == null) {
            return ControlReply.error("this master does not synchronise overrides with a cluster");
        }
        Map<String, io.mcp.master.cluster.Mlist.Entry> master = null;
        String error = null;
        try {
            master = m.read(MLIST_READ_TIMEOUT).entries();
        } catch (MasterMlist.UnavailableException e) {
            error = e.getMessage();
        }
        MlistReport report = MlistComparison.report(s.cluster(), c.config().nodeId(), paths.overrideDir(), s.mlist(),
                master, error);
        return ok(report);
    }

    private boolean trusted(UnixDomainPrincipal peer) {
        String user = peer.user().getName();
        return "root".equals(user) || user.equals(System.getProperty("user.name"))
                || (adminGroup != null && adminGroup.equals(peer.group().getName()));
    }

    private static ControlReply ok(Object data) {
        JsonNode node = Json.MAPPER.valueToTree(data);
        return new ControlReply(true, null, node);
    }
}
