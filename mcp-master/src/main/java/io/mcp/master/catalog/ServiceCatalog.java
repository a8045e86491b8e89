package io.mcp.master.catalog;

import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.xml.ServiceDefinitions;
import io.mcp.core.xml.XmlException;
import io.mcp.master.override.ServiceOverrides;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The service definitions in {@code services.d/} and the enable overrides in
 * {@code override/services.d/}. {@link #scan()} reads what changed since the last scan and tells
 * the {@link Listener}; it is cheap when nothing changed (one stat per file), so it runs on every
 * file-system event and on a slow timer as a safety net.
 */
public final class ServiceCatalog {
    /** What a scan found. Called on the thread that runs {@link #scan()}. */
    public interface Listener {
        void defined(String service, Path file, ServiceDefinition def);

        void invalid(String service, Path file, XmlException error);

        void removed(String service);

        void enableOverride(String service, Optional<Boolean> enabled);
    }

    private static final Logger LOG = Logger.getLogger(ServiceCatalog.class.getName());

    /** What a file looked like when last read: a change of any of these means read it again. */
    private record Stamp(Object key, long modifiedNanos, long size) {
        static Stamp of(BasicFileAttributes a) {
            return new Stamp(a.fileKey(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size());
        }
    }

    private record Known(Stamp stamp, String service) {
    }

    private final NodePaths paths;
    private final ServiceOverrides overrides;
    private final Listener listener;
    private final Map<Path, Known> definitions = new HashMap<>();
    private final Map<Path, Stamp> overrideFiles = new HashMap<>();

    public ServiceCatalog(NodePaths paths, ServiceOverrides overrides, Listener listener) {
        this.paths = paths;
        this.overrides = overrides;
        this.listener = listener;
    }

    public void scan() {
        scanDefinitions();
        scanOverrides();
    }

    private void scanDefinitions() {
        Map<Path, Stamp> present = xmlFiles(paths.servicesDir());
        Map<String, Path> owners = new HashMap<>();
        definitions.forEach((f, k) -> {
            if (k.service != null) {
                owners.putIfAbsent(k.service, f);
            }
        });
        for (Path f : new HashSet<>(definitions.keySet())) {
            if (!present.containsKey(f)) {
                String service = definitions.remove(f).service;
                if (service != null && f.equals(owners.get(service))) {
                    owners.remove(service);
                    listener.removed(service);
                }
            }
        }
        for (Map.Entry<Path, Stamp> file : present.entrySet()) {
            Path f = file.getKey();
            Stamp stamp = file.getValue();
            Known before = definitions.get(f);
            if (before != null && before.stamp.equals(stamp)) {
                continue;
            }
            String fallbackName = before != null && before.service != null ? before.service : baseName(f);
            try {
                ServiceDefinition def = ServiceDefinitions.load(f);
                Path owner = owners.get(def.name);
                if (owner != null && !owner.equals(f)) {
                    definitions.put(f, new Known(stamp, null));
                    listener.invalid(baseName(f), f, new XmlException(f, 0,
                            "service '" + def.name + "' is already defined in " + owner));
                    continue;
                }
                if (before != null && before.service != null && !before.service.equals(def.name)
                        && f.equals(owners.get(before.service))) {
                    owners.remove(before.service);
                    listener.removed(before.service);
                }
                owners.put(def.name, f);
                definitions.put(f, new Known(stamp, def.name));
                listener.defined(def.name, f, def);
            } catch (XmlException e) {
                definitions.put(f, new Known(stamp, fallbackName));
                owners.putIfAbsent(fallbackName, f);
                listener.invalid(fallbackName, f, e);
            }
        }
    }

    private void scanOverrides() {
        Map<Path, Stamp> present = xmlFiles(paths.serviceOverridesDir());
        for (Path f : new HashSet<>(overrideFiles.keySet())) {
            if (!present.containsKey(f)) {
                overrideFiles.remove(f);
                listener.enableOverride(baseName(f), Optional.empty());
            }
        }
        for (Map.Entry<Path, Stamp> file : present.entrySet()) {
            Path f = file.getKey();
            try {
                if (Objects.equals(overrideFiles.put(f, file.getValue()), file.getValue())) {
                    continue;
                }
                listener.enableOverride(baseName(f), overrides.enabled(baseName(f)));
            } catch (XmlException e) {
                LOG.warning("ignoring override " + e.getMessage());
                listener.enableOverride(baseName(f), Optional.empty());
            }
        }
    }

    /**
     * The regular {@code *.xml} files of a directory in name order, each with its stamp from one
     * stat: with 1,000 services, listing and stat-ing this directory is three quarters of an idle
     * master's periodic pass.
     */
    private static Map<Path, Stamp> xmlFiles(Path dir) {
        Map<Path, Stamp> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path f : ds) {
                String name = f.getFileName().toString();
                // editors' and our own temporary files start with a dot
                if (!name.endsWith(".xml") || name.startsWith(".")) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        files.put(f, Stamp.of(a));
                    }
                } catch (IOException gone) {
                    // removed while listing: it is gone for this scan too
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list " + dir, e);
        }
        return files;
    }

    private static String baseName(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".xml") ? n.substring(0, n.length() - 4) : n;
    }
}
