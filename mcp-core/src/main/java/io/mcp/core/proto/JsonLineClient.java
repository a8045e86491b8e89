package io.mcp.core.proto;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** One connection to a {@link JsonLineServer}: send a request, read its answer. Not thread-safe. */
public final class JsonLineClient implements Closeable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private JsonLineClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    public static JsonLineClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new JsonLineClient(ch);
    }

    public <A> A call(Object request, Class<A> answerType) throws IOException {
        sendLine(Json.MAPPER.writeValueAsBytes(request));
        return Json.MAPPER.readValue(receiveLine(), answerType);
    }

    /**
     * Writes one request already written as JSON, and its line end, in one write: the server
     * wakes once, for the whole line. When this fails, the server has not read it.
     */
    public void sendLine(byte[] json) throws IOException {
        byte[] line = Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Reads the answer to the request sent, as the line it is. */
    public String receiveLine() throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new EOFException("connection closed before an answer came");
        }
        return line;
    }

    /**
     * Sends one request line already written as JSON and returns the answer line as is: for a
     * caller that reads it without Jackson (mcpctl's quickest listings).
     */
    public String callLine(String requestJson) throws IOException {
        sendLine(requestJson.getBytes(StandardCharsets.UTF_8));
        return receiveLine();
    }

    /** Connects, asks once and disconnects. */
    public static <A> A callOnce(Path socket, Object request, Class<A> answerType) throws IOException {
        try (JsonLineClient c = connect(socket)) {
            return c.call(request, answerType);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
