package io.mcp.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/** What every command shares: the node (from {@code --root}), where to print, how long to wait. */
final class Context {
    final PrintWriter out;
    final PrintWriter err;
    private final Duration timeout;
    /** {@code --root} as given, or null. */
    String root;

    Context(PrintWriter out, PrintWriter err, Duration timeout) {
        this.out = out;
        this.err = err;
        this.timeout = timeout;
    }

    /** {@code --root}, else {@code $MCP_ROOT}, else the current directory. */
    NodePaths paths() {
        return NodePaths.resolve(root == null ? null : Path.of(root));
    }

    MasterClient master() {
        return new MasterClient(paths().controlSocket(), timeout);
    }

    /** One JSON document on stdout. */
    void printJson(Object value) {
        try {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
