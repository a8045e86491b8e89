package io.mcp.core.xml;

import io.mcp.core.model.FileDefinition;
import io.mcp.core.paths.NodePaths;
import java.nio.file.Path;

/** Reads and checks one {@code files.d/*.xml} file. */
public final class FileDefinitions {
    private FileDefinitions() {
    }

    /**
     * @param paths the node, against which a relative {@code path} is resolved and which tells
     *     what may propagate: only files under {@code override/} are shared with the cluster
     */
    public static FileDefinition load(Path file, NodePaths paths) throws XmlException {
        FileDefinition def = XmlFiles.read(file, FileDefinition.class);
        check(file, def, paths);
        return def;
    }

    static void check(Path file, FileDefinition def, NodePaths paths) throws XmlException {
        if (def.path == null || def.path.isBlank()) {
            throw new XmlException(file, 0, "<file> has no path attribute");
        }
        if (def.path.indexOf('\0') >= 0) {
            throw new XmlException(file, 0, "<file> path holds a NUL character");
        }
        if (def.notify != null && !def.notify.trim().matches("[01]")) {
            throw new XmlException(file, 0, "<file> notify='" + def.notify + "' must be 0 or 1");
        }
        if (def.changeActions().map(a -> a.commands().isEmpty()).orElse(true)) {
            throw new XmlException(file, 0, "<file path='" + def.path
                    + "'> has no actions in its '" + FileDefinition.CHANGE + "' actionlist");
        }
        Path target = paths.resolveConfigured(def.path.trim());
        Path override = paths.overrideDir().toAbsolutePath().normalize();
        if (def.propagates() && !target.toAbsolutePath().normalize().startsWith(override)) {
            throw new XmlException(file, 0, "<file path='" + def.path + "'> is outside override/, which is what"
                    + " the cluster shares: move it under override/, or set notify=\"0\" to watch it on this node only");
        }
    }
}
