package io.mcp.core.cluster;

import io.mcp.core.model.Durations;
import io.mcp.core.xml.XmlException;
import io.mcp.core.xml.XmlFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code <alert command="..." timeout="60s"/>} in {@code cluster.xml} (an MCP extension): a shell
 * command run for each alert, given the alert in its environment and as a JSON line on stdin.
 *
 * <p>It is read from the file each time an alert is raised, on its own and leniently: an alert
 * about a master that cannot start because the rest of {@code cluster.xml} is wrong must still
 * reach the operator. {@link ClusterConfig#load} checks it with everything else at start-up.
 *
 * @param command run by {@code /bin/sh -c} in the node's root
 * @param timeout after which a command still running is killed
 * @param cluster the cluster's name as the file gives it
 * @param nodeId this node's id: the command line's, else the file's
 */
public record AlertSpec(String command, Duration timeout, String cluster, String nodeId) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** The alert command {@code file} declares; empty when there is no file or no {@code <alert>}. */
    public static Optional<AlertSpec> read(Path file, ClusterConfig.Overrides overrides) throws XmlException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        ClusterXml xml = XmlFiles.read(file, ClusterXml.class);
        if (xml.alert == null) {
            return Optional.empty();
        }
        String nodeId = overrides.nodeId() != null ? overrides.nodeId()
                : xml.node == null || xml.node.id == null ? ClusterConfig.DEFAULT_NODE_ID : xml.node.id.trim();
        String cluster = xml.name == null ? ClusterConfig.DEFAULT_NAME : xml.name.trim();
        return Optional.of(of(file, xml.alert, cluster, nodeId));
    }

    /** The element checked: a command, a timeout between 1 s and 1 h. */
    static AlertSpec of(Path file, ClusterXml.Alert alert, String cluster, String nodeId) throws XmlException {
        int line = ClusterXml.line(alert.location);
        if (alert.command == null || alert.command.isBlank()) {
            throw new XmlException(file, line, "<alert> needs a command, e.g. <alert command=\"/usr/local/bin/page\"/>");
        }
        Duration timeout;
        try {
            timeout = Durations.parseOr(alert.timeout, DEFAULT_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new XmlException(file, line, "<alert timeout>: " + e.getMessage());
        }
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new XmlException(file, line, "<alert timeout> " + alert.timeout + " is outside 1s..1h");
        }
        return new AlertSpec(alert.command.strip(), timeout, cluster, nodeId);
    }
}
