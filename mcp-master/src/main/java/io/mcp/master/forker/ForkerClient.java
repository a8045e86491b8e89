package io.mcp.master.forker;

import io.mcp.core.proto.ForkerJson;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Sends actions to the forker, one connection per request at a time so that actions run side by
 * side. A connection is kept for the next request once answered (a few at most): the forker's
 * thread for it is then already waiting for that request, with no connection to accept and hand
 * over first. When the forker is not there (between its crash and the failsafe restarting it) a
 * request waits and tries again; a request whose connection drops mid-action is answered as
 * failed, since whether the action ran is unknown.
 */
public final class ForkerClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ForkerClient.class.getName());
    private static final Duration RETRY = Duration.ofMillis(100);
    private static final Duration NO_LIMIT_ANSWER = Duration.ofMinutes(5);
    private static final Duration ANSWER_SLACK = Duration.ofSeconds(5);
    /** For {@link #sendIfRunning}: the forker answers those at once, or within its own short waits. */
    private static final Duration QUICK_ANSWER = Duration.ofSeconds(10);

    /** Connections kept for later requests: enough for the few requests that usually overlap. */
    private static final int KEPT = 4;

    private final Path socket;
    private final Duration waitForForker;
    private final Deque<JsonLineClient> kept = new ArrayDeque<>(); // guarded by itself
    private boolean closed; // guarded by kept
    private final ExecutorService calls;

    /** @param waitForForker how long a request waits for an absent forker before it fails */
    public ForkerClient(Path socket, Duration waitForForker) {
        this(socket, waitForForker, Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "forker-call");
            t.setDaemon(true);
            return t;
        }));
    }

    /** For tests: with the threads that wait for answers (and connect) given. */
    ForkerClient(Path socket, Duration waitForForker, ExecutorService calls) {
        this.socket = socket;
        this.waitForForker = waitForForker;
        this.calls = calls;
    }

    /**
     * A request already written as JSON, for one sent again and again (a {@code files.d}
     * definition's change actions): writing it took more CPU than sending it, right when the
     * forker needs a core.
     */
    public static final class Prepared {
        private final ForkerRequest request;
        private final byte[] line;
        private final String error;

        private Prepared(ForkerRequest request, byte[] line, String error) {
            this.request = request;
            this.line = line;
            this.error = error;
        }
    }

    /** {@code request} written once; one that cannot be written is answered as a failure when sent. */
    public static Prepared prepare(ForkerRequest request) {
        try {
            return new Prepared(request, ForkerJson.writeRequest(request), null);
        } catch (IOException e) {
            return new Prepared(request, null, "cannot write the request: " + e.getMessage());
        }
    }

    /**
     * Sends {@code request}; the answer is a failure if none comes within the time its actions
     * may take plus the wait for an absent forker, so a lost answer never leaves a service
     * starting or stopping for ever.
     */
    public CompletableFuture<ForkerReply> send(ForkerRequest request) {
        return send(prepare(request));
    }

    /** As {@link #send(ForkerRequest)}, for a request written beforehand. */
    public CompletableFuture<ForkerReply> send(Prepared prepared) {
        ForkerRequest request = prepared.request;
        int actions = request.actions() == null ? 1 : Math.max(1, request.actions().size());
        long limit = (request.timeoutMillis() > 0 ? request.timeoutMillis() * actions : NO_LIMIT_ANSWER.toMillis())
                + waitForForker.toMillis() + ANSWER_SLACK.toMillis();
        return dispatch(prepared, waitForForker)
                .completeOnTimeout(ForkerReply.failure("no answer from mcp-forker within " + limit / 1000 + " s"),
                        limit, TimeUnit.MILLISECONDS);
    }

    /**
     * Sends {@code request} only if the forker is there now: no wait for an absent forker, which
     * is answered at once as a failure. For requests that are worth nothing later (arming a
     * restart, asking about one), whose failure has a fallback.
     */
    public CompletableFuture<ForkerReply> sendIfRunning(ForkerRequest request) {
        return dispatch(prepare(request), Duration.ZERO)
                .completeOnTimeout(ForkerReply.failure("no answer from mcp-forker within "
                        + QUICK_ANSWER.toSeconds() + " s"), QUICK_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Writes the request on a kept connection from the caller's own thread, and leaves only the
     * wait for its answer to a pool thread: the forker has the request before a pool thread would
     * even have woken up. Without a kept connection, a pool thread connects (and waits for an
     * absent forker) first.
     */
    private CompletableFuture<ForkerReply> dispatch(Prepared prepared, Duration waitForForker) {
        byte[] line = prepared.line;
        if (line == null) {
            return CompletableFuture.completedFuture(ForkerReply.failure(prepared.error));
        }
        JsonLineClient idle;
        while ((idle = take()) != null) {
            try {
                idle.sendLine(line);
            } catch (IOException e) {
                // Kept from a forker that has exited since: it never read the request.
                close(idle);
                continue;
            }
            JsonLineClient sent = idle;
            try {
                return CompletableFuture.supplyAsync(() -> answer(sent), calls);
            } catch (RejectedExecutionException closing) {
                close(sent);
                throw closing;
            }
        }
        return CompletableFuture.supplyAsync(() -> connectAndCall(line, waitForForker), calls);
    }

    private ForkerReply connectAndCall(byte[] line, Duration waitForForker) {
        long deadline = System.nanoTime() + waitForForker.toNanos();
        boolean warned = false;
        while (true) {
            JsonLineClient client;
            try {
                client = JsonLineClient.connect(socket);
            } catch (NoSuchFileException | SocketException e) {
                if (System.nanoTime() > deadline) {
                    return ForkerReply.failure("mcp-forker is not running (no answer on " + socket + ")");
                }
                if (!warned) {
                    LOG.warning("mcp-forker is not answering on " + socket + "; waiting for it to come back");
                    warned = true;
                }
                if (!pause()) {
                    return ForkerReply.failure("interrupted while waiting for mcp-forker");
                }
                continue;
            } catch (IOException e) {
                return ForkerReply.failure("cannot reach mcp-forker: " + e.getMessage());
            }
            try {
                client.sendLine(line);
            } catch (IOException e) {
                close(client);
                return ForkerReply.failure("mcp-forker went away during the action: " + e.getMessage());
            }
            return answer(client);
        }
    }

    /** The answer to the request sent on {@code client}, which is kept for another if there is room. */
    private ForkerReply answer(JsonLineClient client) {
        ForkerReply reply;
        try {
            reply = ForkerJson.readReply(client.receiveLine());
        } catch (IOException e) {
            close(client);
            return ForkerReply.failure("mcp-forker went away during the action: " + e.getMessage());
        }
        synchronized (kept) {
            if (kept.size() < KEPT && !closed) {
                kept.push(client);
                return reply;
            }
        }
        close(client);
        return reply;
    }

    private JsonLineClient take() {
        synchronized (kept) {
            return kept.poll();
        }
    }

    private static void close(JsonLineClient client) {
        try {
            client.close();
        } catch (IOException ignored) {
            // closing a UNIX socket does not fail in a way we can act on
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(RETRY.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        calls.shutdownNow();
        synchronized (kept) {
            closed = true;
            kept.forEach(ForkerClient::close);
            kept.clear();
        }
    }
}
