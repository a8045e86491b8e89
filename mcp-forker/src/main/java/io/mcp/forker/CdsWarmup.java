package io.mcp.forker;

import io.mcp.core.daemon.Daemon;
import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.Directories;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerJson;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The training run behind the class-data-sharing archive of {@code mcp-forker} (made by
 * {@code bin/mcp} after each build, like {@code bin/mcpctl}'s): serves the requests a node's
 * start-up sends (ping, a service spawned directly and through sh, an action list) on a socket in
 * a temporary directory, so that the archive holds the classes a real forker loads. Not for
 * users; exits 0, or non-zero and no archive is kept.
 */
public final class CdsWarmup {
    private CdsWarmup() {
    }

    public static void main(String[] unused) throws Exception {
        Daemon.logOneLinePerRecord(); // as the process does
        Path root = Files.createTempDirectory("mcp-forker-warmup");
        try {
            NodePaths paths = new NodePaths(root).ensureLayout();
            try (ForkerServer server = new ForkerServer(paths)) {
                String log = paths.serviceLog("warmup").toString();
                for (ForkerRequest r : List.of(ForkerRequest.ping(),
                        new ForkerRequest(ForkerRequest.SPAWN, "warmup", null, "/bin/true", null, null, null,
                                root.toString(), 1000, paths.foregroundPidFile("warmup").toString(), log),
                        new ForkerRequest(ForkerRequest.SPAWN, "warmup", null, "true && exit 0", null, null, null,
                                root.toString(), 1000, paths.foregroundPidFile("warmup").toString(), log),
                        new ForkerRequest(ForkerRequest.RUN, "warmup", List.of("true", "exit 3"), null, null, null,
                                null, root.toString(), 1000, null, log))) {
                    call(server, r);
                }
                respawnOnce(server, root, paths, log);
            }
        } finally {
            Directories.deleteTree(root);
        }
        System.exit(0);
    }

    /** A service armed, killed, respawned by the forker and asked about: the path of a crash. */
    private static void respawnOnce(ForkerServer server, Path root, NodePaths paths, String log) throws IOException {
        Path pidFile = paths.foregroundPidFile("warmup");
        ForkerRequest sleeper = new ForkerRequest(ForkerRequest.SPAWN, "warmup", null, "/bin/sleep 30", null, null, null,
                root.toString(), 1000, pidFile.toString(), log);
        call(server, sleeper);
        OptionalLong pid = PidFiles.read(pidFile);
        if (pid.isEmpty()) {
            return;
        }
        call(server, sleeper.about(ForkerRequest.ARM, pid.getAsLong()));
        ForkerLibc.LIBC.kill((int) pid.getAsLong(), 9);
        call(server, ForkerRequest.of(ForkerRequest.RESPAWNED, "warmup", pid.getAsLong()));
        OptionalLong again = PidFiles.read(pidFile);
        if (again.isPresent() && again.getAsLong() != pid.getAsLong()) {
            call(server, ForkerRequest.of(ForkerRequest.DISARM, "warmup", again.getAsLong()));
            ForkerLibc.LIBC.kill((int) again.getAsLong(), 9);
        }
    }

    /**
     * One request, written and its answer read as text: the master's data binding would put ~580
     * classes the forker never loads into its archive, which is resident whole.
     */
    private static void call(ForkerServer server, ForkerRequest r) throws IOException {
        try (JsonLineClient c = JsonLineClient.connect(server.socket())) {
            c.callLine(new String(ForkerJson.writeRequest(r), StandardCharsets.UTF_8));
        }
    }
}
