package io.mcp.master.supervise;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.model.ConfigSpec;
import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.xml.XmlException;
import io.mcp.master.catalog.ServiceCatalog;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * All services of this node: one {@link ServiceSupervisor} each, created and fed by the catalog.
 * Runs on the supervision loop thread, except the status reads, which take snapshots.
 */
public final class Supervision implements ServiceCatalog.Listener {
    private final SupervisionContext ctx;
    private final Map<String, ServiceSupervisor> services = new ConcurrentHashMap<>();
    private final Map<String, Optional<Boolean>> overrides = new ConcurrentHashMap<>();
    private volatile Conditions conditions;

    public Supervision(SupervisionContext ctx, Conditions initial) {
        this.ctx = ctx;
        this.conditions = initial;
    }

    private ServiceSupervisor supervisor(String name) {
        return services.computeIfAbsent(name, n -> {
            ServiceSupervisor s = new ServiceSupervisor(ctx, n, conditions, () -> services.remove(n));
            s.overrideEnabled(overrides.getOrDefault(n, Optional.empty()));
            return s;
        });
    }

    @Override
    public void defined(String service, Path file, ServiceDefinition def) {
        supervisor(service).define(file, def);
    }

    @Override
    public void invalid(String service, Path file, XmlException error) {
        supervisor(service).invalidate(file, error);
    }

    @Override
    public void removed(String service) {
        ServiceSupervisor s = services.get(service);
        if (s != null) {
            s.remove();
        }
    }

    @Override
    public void enableOverride(String service, Optional<Boolean> enabled) {
        overrides.put(service, enabled);
        ServiceSupervisor s = services.get(service);
        if (s != null) {
            s.overrideEnabled(enabled);
        }
    }

    /** Quorum or the cluster store changed: every service that depends on them is decided again. */
    public void conditionsChanged(Conditions now) {
        conditions = now;
        services.values().forEach(s -> s.conditions(now));
    }

    /** A periodic pass: anything whose decision may have changed without an event is decided again. */
    public void reconcileAll() {
        services.values().forEach(ServiceSupervisor::reconcile);
    }

    /** Every service's {@code <config>} files, by service. */
    public Map<String, List<ConfigSpec>> configs() {
        Map<String, List<ConfigSpec>> all = new TreeMap<>();
        services.forEach((name, s) -> {
            if (!s.configs().isEmpty()) {
                all.put(name, s.configs());
            }
        });
        return all;
    }

    /** One of {@code service}'s config files changed; see {@link ServiceSupervisor#configChanged}. */
    public CompletableFuture<Void> configChanged(String service, Path config, String listName) {
        ServiceSupervisor s = services.get(service);
        return s == null ? CompletableFuture.completedFuture(null) : s.configChanged(config, listName);
    }

    public List<ServiceStatus> statuses() {
        return services.values().stream().map(ServiceSupervisor::status)
                .sorted(Comparator.comparing(ServiceStatus::name)).toList();
    }

    public Optional<ServiceStatus> status(String name) {
        return Optional.ofNullable(services.get(name)).map(ServiceSupervisor::status);
    }
}
