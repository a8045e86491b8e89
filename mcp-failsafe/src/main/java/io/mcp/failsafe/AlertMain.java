package io.mcp.failsafe;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.daemon.Daemon;
import io.mcp.core.event.AlertCommand;
import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Passes one alert of mcp-failsafe to the operator's alert command ({@code <alert command=>} in
 * {@code cluster.xml}), as the master passes its own: the failsafe, a small C program, starts
 * this JVM for each alert with the alert's JSON line on stdin, {@code -Dmcp.root} and the command
 * line's {@code -Dmcp.node-id}. Alerts come after 10 and 30 minutes of failing restarts: a JVM
 * each costs nothing that matters then.
 */
public final class AlertMain {
    private AlertMain() {
    }

    public static void main(String[] args) throws IOException {
        Daemon.logOneLinePerRecord();
        String root = System.getProperty("mcp.root");
        if (root == null) {
            System.err.println("mcp-alert: -Dmcp.root=DIR is required (bin/mcp up passes it)");
            System.exit(2);
        }
        NodePaths paths = new NodePaths(Path.of(root));
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            System.err.println("mcp-alert: no alert on stdin");
            System.exit(1);
        }
        EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
        new AlertCommand(paths, ClusterConfig.Overrides.fromSystemProperties(), events, NodePaths.FAILSAFE)
                .deliver(Json.MAPPER.readValue(line, Event.class));
    }
}
