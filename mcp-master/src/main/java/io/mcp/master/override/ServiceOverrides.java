package io.mcp.master.override;

import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.paths.Directories;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.xml.XmlException;
import io.mcp.core.xml.XmlFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Per-service overrides of the attributes a service lets an operator change, kept as
 * {@code override/services.d/NAME.xml}: {@code <service name="NAME" enable="1"/>}. The same
 * element as a definition, holding only the changed attributes; the cluster propagates these
 * files to every node like any other override.
 */
public final class ServiceOverrides {
    private final NodePaths paths;

    public ServiceOverrides(NodePaths paths) {
        this.paths = paths;
    }

    /** The enable state an override sets for this service, if one does. */
    public Optional<Boolean> enabled(String service) throws XmlException {
        Path file = paths.serviceOverride(service);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        ServiceDefinition o = XmlFiles.read(file, ServiceDefinition.class);
        if (o.enable == null) {
            return Optional.empty();
        }
        return switch (o.enable.trim()) {
            case "1" -> Optional.of(true);
            case "0" -> Optional.of(false);
            default -> throw new XmlException(file, 0, "enable must be 0 or 1, not '" + o.enable + "'");
        };
    }

    /** Writes the override atomically: temporary file, fsync, rename. */
    public void setEnabled(String service, boolean enabled) throws IOException {
        ServiceDefinition o = new ServiceDefinition();
        o.name = service;
        o.enable = enabled ? "1" : "0";
        Path file = paths.serviceOverride(service);
        Directories.ensure(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                Writer w = java.nio.channels.Channels.newWriter(ch, StandardCharsets.UTF_8)) {
            XmlFiles.write(o, w);
            w.flush();
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
