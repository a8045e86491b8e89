package io.mcp.forker;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerJson;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The forker's socket, {@code var/run/mcp-forker.sock}: receives {@link ForkerRequest}s and
 * answers each with a {@link ForkerReply}. Each connection has its own thread, so a long action
 * never holds up another request.
 *
 * <p>Every child starts in a new session, so closing the server (or the forker exiting) leaves
 * spawned services and running actions alone. A JVM that runs a ForkerServer reaps all its
 * children in one thread: it must not start processes any other way, e.g. with
 * {@code ProcessBuilder}.
 */
public final class ForkerServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ForkerServer.class.getName());
    /** Only the forker's own user (and root) may ask it to run commands. */
    private static final String SOCKET_MODE = "rw-------";

    private final NodePaths paths;
    private final ShellCommand.Identity self = ShellCommand.Identity.current();
    private final Map<String, String> baseEnv = System.getenv();
    private final ActionRunner runner;
    private final ServiceStarter starter;
    private final Respawner respawner;
    private final Os os;
    private final JsonLineServer<ForkerRequest, ForkerReply> server;

    /** Binds {@link NodePaths#forkerSocket()} (replacing a stale socket file) and starts serving. */
    public ForkerServer(NodePaths paths) throws IOException {
        this(paths, new PosixSpawner(Reaper.instance()), Os.linux());
    }

    ForkerServer(NodePaths paths, Spawner spawner, Os os) throws IOException {
        this.paths = paths;
        this.os = os;
        this.runner = new ActionRunner(spawner, os);
        this.starter = new ServiceStarter(spawner, os);
        this.respawner = new Respawner();
        this.server = new JsonLineServer<>(paths.forkerSocket(), SOCKET_MODE, ForkerJson::readRequest,
                ForkerJson::writeReply, (request, peer) -> handle(request), ForkerServer::failureOf);
    }

    /** The socket this server listens on. */
    public Path socket() {
        return server.path();
    }

    private ForkerReply handle(ForkerRequest r) throws InterruptedException {
        if (r == null) {
            throw new IllegalArgumentException("empty request");
        }
        ForkerReply reply = switch (String.valueOf(r.op())) {
            case ForkerRequest.PING -> new ForkerReply(true, null, null, false, false, 0, null, null, null, null);
            case ForkerRequest.RUN -> runner.run(required(r.actions(), "actions", r), shell(r),
                    path(required(r.log(), "log", r)), r.timeoutMillis());
            case ForkerRequest.SPAWN -> spawn(r);
            case ForkerRequest.ARM -> respawner.arm(required(r.pid(), "pid", r), r.service(), restart(r));
            case ForkerRequest.DISARM -> respawner.disarm(required(r.pid(), "pid", r));
            case ForkerRequest.RESPAWNED -> respawner.respawned(required(r.pid(), "pid", r));
            default -> throw new IllegalArgumentException("unknown op '" + r.op() + "' (expected "
                    + ForkerRequest.RUN + ", " + ForkerRequest.SPAWN + ", " + ForkerRequest.PING + ", "
                    + ForkerRequest.ARM + ", " + ForkerRequest.DISARM + " or " + ForkerRequest.RESPAWNED + ")");
        };
        // "not respawned" is an answer the master expects, not something that went wrong.
        if (reply.error() != null && !ForkerRequest.RESPAWNED.equals(r.op())) {
            LOG.warning(r.op() + " for " + r.service() + ": " + reply.error());
        }
        return reply;
    }

    private ForkerReply spawn(ForkerRequest r) throws InterruptedException {
        Respawner.Restart restart = restart(r);
        ForkerReply respawned = respawner.unclaimedRespawn(restart.pidFile(), this::dead);
        if (respawned != null) {
            return respawned;
        }
        ServiceStarter.Started started = restart.start().get();
        if (started.child() != null) {
            respawner.spawned(started.child());
        }
        return started.reply();
    }

    /** The start {@code r} asks for, checked and resolved now, to be run now or when an armed service dies. */
    private Respawner.Restart restart(ForkerRequest r) {
        String command = required(r.command(), "command", r);
        ShellCommand shell = shell(r);
        Path log = path(required(r.log(), "log", r));
        Path pidFile = path(required(r.pidFile(), "pidFile", r));
        return new Respawner.Restart(pidFile, () -> starter.start(command, shell, log, pidFile));
    }

    /** Exited, collected or not: the master sees a death through its pidfd before the reaper does. */
    private boolean dead(long pid) {
        return os.inspect(pid).map(p -> !p.alive()).orElse(true);
    }

    /** Whether {@code pid} is armed to be respawned (for tests). */
    boolean armed(long pid) {
        return respawner.armed(pid);
    }

    private static <T> T required(T value, String field, ForkerRequest r) {
        if (value == null) {
            throw new IllegalArgumentException(r.op() + " needs '" + field + "'");
        }
        return value;
    }

    /** Paths in a request are absolute, or relative to the node root like those in definitions. */
    private Path path(String configured) {
        return paths.resolveConfigured(configured);
    }

    private ShellCommand shell(ForkerRequest r) {
        return ShellCommand.of(r, r.workdir() == null ? null : path(r.workdir()), self, baseEnv);
    }

    /** The answer to a request that threw: a bad request, or a bug that must not end the forker. */
    private static ForkerReply failureOf(Exception e) {
        if (e instanceof IllegalArgumentException) {
            return ForkerReply.failure("bad request: " + e.getMessage());
        }
        if (e instanceof JsonProcessingException json) {
            return ForkerReply.failure("bad request: " + json.getOriginalMessage());
        }
        LOG.log(Level.SEVERE, "request failed", e);
        return ForkerReply.failure("internal error: " + e);
    }

    @Override
    public void close() {
        respawner.close();
        server.close();
    }
}
