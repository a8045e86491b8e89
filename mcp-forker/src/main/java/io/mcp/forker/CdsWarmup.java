package io.mcp.forker;

import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.io.FileUtils;

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
                    JsonLineClient.callOnce(server.socket(), r, ForkerReply.class);
                }
                respawnOnce(server, root, paths, log);
            }
        } finally {
            FileUtils.deleteDirectory(root.toFile());
        }
        System.exit(0);
    }

    /** A service armed, killed, respawned by the forker and asked about: the path of a crash. */
    private static void respawnOnce(ForkerServer server, Path root, NodePaths paths, String log) throws IOException {
        ForkerRequest sleeper = new ForkerRequest(ForkerRequest.SPAWN, "warmup", null, "/bin/sleep 30", null, null, null,
                root.toString(), 1000, paths.foregroundPidFile("warmup").toString(), log);
        Long pid = JsonLineClient.callOnce(server.socket(), sleeper, ForkerReply.class).pid();
        if (pid == null) {
            return;
        }
        JsonLineClient.callOnce(server.socket(), sleeper.about(ForkerRequest.ARM, pid), ForkerReply.class);
        ForkerLibc.LIBC.kill(pid.intValue(), 9);
        Long again = JsonLineClient.callOnce(server.socket(), ForkerRequest.of(ForkerRequest.RESPAWNED, "warmup", pid),
                ForkerReply.class).pid();
        if (again != null) {
            JsonLineClient.callOnce(server.socket(), ForkerRequest.of(ForkerRequest.DISARM, "warmup", again),
                    ForkerReply.class);
            ForkerLibc.LIBC.kill(again.intValue(), 9);
        }
    }
}
