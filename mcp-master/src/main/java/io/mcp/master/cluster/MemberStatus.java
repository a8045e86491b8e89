package io.mcp.master.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.mcp.core.proto.Json;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What every master publishes in its member node, as JSON: who it is and the state of each of
 * its services.
 *
 * @param node the node id
 * @param host the host name
 * @param pid the master's PID
 * @param session the ZooKeeper session (hex) that wrote it: a node whose owner is another session
 *     is left over from an earlier session, or another master uses the same node id
 * @param services state by service name, as {@code mcpctl} shows it
 */
public record MemberStatus(String node, String host, long pid, String session, Map<String, String> services) {
    /** A member node holds at most this much; ZooKeeper's own limit is 1 MB. */
    public static final int MAX_BYTES = 256 * 1024;

    public MemberStatus {
        // sorted, so that the same status always gives the same bytes and is not written again
        services = services == null ? Map.of() : new TreeMap<>(services);
    }

    byte[] toJson() {
        try {
            return Json.MAPPER.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write member status as JSON", e);
        }
    }

    /** Another member's status; empty when it is too large or not what we expect. */
    static Optional<MemberStatus> parse(byte[] json) {
        if (json == null || json.length == 0 || json.length > MAX_BYTES) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(Json.MAPPER.readValue(json, MemberStatus.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
