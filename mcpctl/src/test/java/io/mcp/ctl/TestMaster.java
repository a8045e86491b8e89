package io.mcp.ctl;

import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ClusterServices;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.NodeStatus;
import io.mcp.core.control.ServiceStatus;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import io.mcp.core.proto.JsonLineServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for mcp-master until the end-to-end tests exist: a real core
 * {@link JsonLineServer} on the node's real control socket, answering from canned
 * {@link ServiceStatus} and {@link NodeStatus} data the way DESIGN.md section 5 says the master
 * does, and recording every request it gets.
 */
final class TestMaster implements AutoCloseable {
    final List<ControlRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, ServiceStatus> services = new ConcurrentHashMap<>();
    private final JsonLineServer<ControlRequest, ControlReply> server;
    volatile NodeStatus nodeStatus;
    /** When set, changing commands are refused as the master refuses a peer it does not trust. */
    volatile String refuseChanges;
    /** When set, requests wait for it: a master that does not answer. */
    volatile CountDownLatch hang;

    TestMaster(NodePaths paths) throws IOException {
        server = new JsonLineServer<>(paths.controlSocket(), "rw-rw----", ControlRequest.class,
                (request, peer) -> handle(request), e -> ControlReply.error(e.getMessage()));
    }

    TestMaster with(ServiceStatus s) {
        services.put(s.name(), s);
        return this;
    }

    /** What {@code mlist} answers. */
    volatile io.mcp.core.control.MlistReport mlist;

    /** What {@code services --cluster} answers. */
    volatile ClusterServices clusterServices;

    private ControlReply handle(ControlRequest r) throws InterruptedException {
        requests.add(r);
        if (hang != null) {
            hang.await();
        }
        switch (r.command()) {
            case ControlRequest.SERVICES: {
                List<ServiceStatus> shown = new ArrayList<>();
                services.values().stream().filter(s -> r.all() || s.display()).forEach(shown::add);
                return ok(shown);
            }
            case ControlRequest.SERVICE:
                return services.containsKey(r.service()) ? ok(services.get(r.service()))
                        : ControlReply.error("no such service: " + r.service());
            case ControlRequest.ENABLE:
            case ControlRequest.DISABLE: {
                if (refuseChanges != null) {
                    return ControlReply.error(refuseChanges);
                }
                ServiceStatus s = services.get(r.service());
                if (s == null) {
                    return ControlReply.error("no such service: " + r.service());
                }
                boolean enable = r.command().equals(ControlRequest.ENABLE);
                ServiceStatus changed = new ServiceStatus(s.name(), s.description(), enable, s.display(),
                        enable ? "starting" : "stopping", s.pid(), s.restarts(), s.options(), null, null, null, null,
                        null, s.file(), s.processName(), s.pidFile(), null);
                services.put(s.name(), changed);
                return ok(changed);
            }
            case ControlRequest.STATUS:
                return ok(nodeStatus);
            case ControlRequest.CLUSTER_SERVICES:
                return ok(clusterServices);
            case ControlRequest.MLIST:
                return ok(mlist);
            default:
                return ControlReply.error("unknown command: " + r.command());
        }
    }

    private static ControlReply ok(Object data) {
        return new ControlReply(true, null, Json.MAPPER.valueToTree(data));
    }

    /** A service with only the list fields set, as in {@code services}. */
    static ServiceStatus service(String name, String description, boolean enabled, boolean display, String state,
            Long pid, int restarts, List<String> options) {
        return new ServiceStatus(name, description, enabled, display, state, pid, restarts, options, null, null, null,
                null, null, null, null, null, null);
    }

    @Override
    public void close() {
        CountDownLatch h = hang;
        if (h != null) {
            h.countDown();
        }
        server.close();
    }
}
