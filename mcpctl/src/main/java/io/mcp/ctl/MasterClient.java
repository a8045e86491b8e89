package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.proto.JsonLineClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asks the local master one question over its control socket and turns every way that can go
 * wrong into a {@link CtlException} with the right exit code.
 */
final class MasterClient {
    private final Path socket;
    private final Duration timeout;

    MasterClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    /** The {@code data} of the master's answer; throws unless the master said ok. */
    JsonNode ask(ControlRequest request) {
        ControlReply reply = exchange(client -> client.call(request, ControlReply.class));
        if (!reply.ok()) {
            throw refused(reply.error());
        }
        return reply.data();
    }

    /**
     * The same exchange without Jackson: {@code requestJson} goes as is, and the answer is read by
     * {@link MiniJson}; returns its {@code data} (maps, lists, strings, longs, doubles, booleans).
     */
    Object askWithoutJackson(String requestJson) {
        // An anonymous class, not a lambda: the quickest listings link no method handles at all.
        String line = exchange(new Exchange<String>() {
            @Override
            public String run(JsonLineClient client) throws IOException {
                return client.callLine(requestJson);
            }
        });
        Object parsed;
        try {
            parsed = MiniJson.parse(line);
        } catch (IllegalArgumentException e) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: " + e.getMessage());
        }
        if (!(parsed instanceof java.util.Map<?, ?> reply)) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: not an object");
        }
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            throw refused(reply.get("error") instanceof String error ? error : null);
        }
        return reply.get("data");
    }

    private static CtlException refused(String error) {
        return new CtlException(ExitCode.FAILED,
                error == null || error.isBlank() ? "mcp-master refused the request" : error);
    }

    private interface Exchange<T> {
        T run(JsonLineClient client) throws IOException;
    }

    private <T> T exchange(Exchange<T> call) {
        JsonLineClient client;
        try {
            client = JsonLineClient.connect(socket);
        } catch (IOException e) {
            throw new CtlException(ExitCode.UNREACHABLE,
                    "cannot reach mcp-master at " + socket + ": is the node agent running? (bin/mcp up)");
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = startWatchdog(client, timedOut);
        try (client) {
            return call.run(client);
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCode.FAILED, "unreadable answer from mcp-master: " + e.getOriginalMessage());
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new CtlException(ExitCode.UNREACHABLE, "mcp-master at " + socket + " did not answer within "
                        + describe(timeout) + "; a change asked for may still take effect");
            }
            throw new CtlException(ExitCode.UNREACHABLE,
                    "lost the connection to mcp-master at " + socket + " before it answered: " + e.getMessage());
        } finally {
            watchdog.interrupt();
        }
    }

    /** Closes the connection if no answer came in time: the blocked read then fails. */
    private Thread startWatchdog(JsonLineClient client, AtomicBoolean timedOut) {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    Thread.sleep(timeout.toMillis());
                    timedOut.set(true);
                    client.close();
                } catch (InterruptedException answered) {
                    // the answer came (or the call failed) first: nothing left to do
                    Thread.currentThread().interrupt();
                } catch (IOException ignored) {
                    // closing is all we wanted; the caller reports the timeout
                }
            }
        }, "mcpctl-timeout");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
