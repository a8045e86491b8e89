package io.mcp.core.xml;

import io.mcp.core.model.FileDefinition;
import io.mcp.core.paths.NodePaths;
import java.nio.file.Path;
import java.util.List;

/** Reads and checks one {@code files.d/*.xml} file. */
public final class FileDefinitions {
    private FileDefinitions() {
    }

    /**
     * @param paths the node, against which a relative {@code path} is resolved
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
        Path target = paths.resolveConfigured(def.path.trim()).toAbsolutePath().normalize();
        if (target.startsWith(paths.clusterCopiesDir().toAbsolutePath().normalize())) {
            throw new XmlException(file, 0, "<file path='" + def.path + "'> is under override/files.d/, where MCP"
                    + " keeps the cluster's copies of watched files outside override/");
        }
        // Each node's own: a change action could be fine, but the content must never travel.
        for (Path own : List.of(paths.clusterXml(), paths.varDir(), paths.filesDir())) {
            if (def.propagates() && target.startsWith(own.toAbsolutePath().normalize())) {
                throw new XmlException(file, 0, "<file path='" + def.path + "'> is " + paths.root().relativize(own)
                        + ", which belongs to this node alone: it cannot be shared with the cluster (notify=\"0\""
                        + " watches it here only)");
            }
        }
    }
}
