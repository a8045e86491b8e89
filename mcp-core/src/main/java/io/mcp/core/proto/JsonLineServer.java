package io.mcp.core.proto;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A UNIX domain socket server that reads one JSON request per line and answers each with one
 * JSON line. Each connection has its own thread, so a slow request (an action that runs for a
 * minute) never holds up another. Used by the forker (actions) and the master (mcpctl).
 */
public final class JsonLineServer<Q, A> implements AutoCloseable {
    /**
     * Handles one request; {@code peer} tells who is connected (SO_PEERCRED). It is looked up
     * only when asked for: turning the peer's ids into names reads the user and group
     * databases, which a handler that does not check has no reason to pay for.
     */
    public interface Handler<Q, A> {
        A handle(Q request, Supplier<UnixDomainPrincipal> peer) throws Exception;
    }

    /** Reads a request line. */
    public interface Decoder<Q> {
        Q decode(String line) throws IOException;
    }

    /** Writes an answer, without its line end. */
    public interface Encoder<A> {
        byte[] encode(A answer) throws IOException;
    }

    private static final Logger LOG = Logger.getLogger(JsonLineServer.class.getName());

    private final Path path;
    private final Decoder<Q> decoder;
    private final Encoder<A> encoder;
    private final Handler<Q, A> handler;
    private final java.util.function.Function<Exception, A> onError;
    private final ServerSocketChannel server;
    private final ExecutorService connections;
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * Binds {@code path} (replacing a stale socket file) with the given mode, e.g. "rw-rw----",
     * and starts accepting.
     */
    public JsonLineServer(Path path, String mode, Class<Q> requestType, Handler<Q, A> handler,
            java.util.function.Function<Exception, A> onError) throws IOException {
        this(path, mode, line -> Json.MAPPER.readValue(line, requestType), Json.MAPPER::writeValueAsBytes, handler,
                onError);
    }

    /** As above, with requests and answers read and written by {@code decoder} and {@code encoder}. */
    public JsonLineServer(Path path, String mode, Decoder<Q> decoder, Encoder<A> encoder, Handler<Q, A> handler,
            java.util.function.Function<Exception, A> onError) throws IOException {
        this.path = path;
        this.decoder = decoder;
        this.encoder = encoder;
        this.handler = handler;
        this.onError = onError;
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
        String name = path.getFileName().toString();
        connections = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name + "-conn");
            t.setDaemon(true);
            return t;
        });
        acceptor = new Thread(this::acceptLoop, name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                connections.execute(() -> serve(ch));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "accept on " + path + " failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            UnixDomainPrincipal[] known = new UnixDomainPrincipal[1];
            Supplier<UnixDomainPrincipal> peer = () -> {
                if (known[0] == null) {
                    try {
                        known[0] = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot read peer credentials", e);
                    }
                }
                return known[0];
            };
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(ch);
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                A answer;
                try {
                    answer = handler.handle(decoder.decode(line), peer);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Exception e) {
                    answer = onError.apply(e);
                }
                byte[] bytes = encoder.encode(answer);
                byte[] reply = Arrays.copyOf(bytes, bytes.length + 1); // one write: the client wakes once
                reply[bytes.length] = '\n';
                synchronized (ch) {
                    out.write(reply);
                    out.flush();
                }
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.FINE, "connection on " + path + " ended", e);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a listening socket does not fail in a way we can act on
        }
        connections.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale socket file is replaced at the next bind
        }
    }
}
