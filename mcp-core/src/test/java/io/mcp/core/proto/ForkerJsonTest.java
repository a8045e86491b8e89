package io.mcp.core.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The forker's codec reads and writes exactly what the data binding writes and reads. */
class ForkerJsonTest {
    @Test
    void readsEveryRequestFieldAsTheMasterWritesIt() throws Exception {
        ForkerRequest full = new ForkerRequest(ForkerRequest.RUN, "svc", List.of("a \"quoted\" line", "b\nc"),
                "sleep 1", Map.of("A", "1", "\u00e9", "\u00fc"), "nobody", "daemon", "/srv", 1500,
                "/run/svc.pid", "/var/log/svc.log", 4242L);
        ForkerRequest sparse = ForkerRequest.of(ForkerRequest.RESPAWNED, "svc", 7);

        for (ForkerRequest r : List.of(full, sparse, ForkerRequest.ping())) {
            assertEquals(r, ForkerJson.readRequest(Json.MAPPER.writeValueAsString(r)));
            String written = new String(ForkerJson.writeRequest(r), StandardCharsets.UTF_8);
            assertEquals(Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(r)), Json.MAPPER.readTree(written));
        }
    }

    @Test
    void ignoresUnknownFieldsAndTakesNullForAbsent() throws Exception {
        ForkerRequest r = ForkerJson.readRequest(
                "{\"later\":{\"x\":[1,{}]},\"op\":\"ping\",\"user\":null,\"timeoutMillis\":null,\"pid\":null}");

        assertEquals(ForkerRequest.ping(), r);
        assertNull(ForkerJson.readRequest("null"));
    }

    @Test
    void writesEveryReplyByteForByteAsTheDataBindingWould() throws Exception {
        List<ForkerReply> replies = List.of(new ForkerReply(false, 3, 9, true, true, 12, "exit 3", "out\n\"x\"", 5L, "why"),
                new ForkerReply(true, null, null, false, false, 0, null, null, 77L, null), ForkerReply.failure("no"));

        for (ForkerReply r : replies) {
            String written = new String(ForkerJson.writeReply(r), StandardCharsets.UTF_8);
            assertEquals(Json.MAPPER.writeValueAsString(r), written);
            assertEquals(r, Json.MAPPER.readValue(written, ForkerReply.class));
            assertEquals(r, ForkerJson.readReply(Json.MAPPER.writeValueAsString(r)));
        }
        assertEquals(ForkerReply.failure("no"), ForkerJson.readReply("{\"error\":\"no\",\"later\":[{}],\"pid\":null}"));
    }

    @Test
    void aFieldOfTheWrongTypeIsNamed() {
        JsonProcessingException e = assertThrows(JsonProcessingException.class,
                () -> ForkerJson.readRequest("{\"op\":\"run\",\"timeoutMillis\":\"soon\"}"));
        assertEquals("'timeoutMillis' must be a whole number, not a string", e.getOriginalMessage());
        e = assertThrows(JsonProcessingException.class, () -> ForkerJson.readRequest("{\"actions\":{}}"));
        assertEquals("'actions' must be a list of strings, not an object", e.getOriginalMessage());
        e = assertThrows(JsonProcessingException.class, () -> ForkerJson.readRequest("[1]"));
        assertEquals("expected a request, found a list", e.getOriginalMessage());
        assertThrows(JsonProcessingException.class, () -> ForkerJson.readRequest("{\"op\":"));
        e = assertThrows(JsonProcessingException.class, () -> ForkerJson.readReply("{\"ok\":1}"));
        assertEquals("'ok' must be true or false, not a number", e.getOriginalMessage());
        e = assertThrows(JsonProcessingException.class, () -> ForkerJson.readReply("{\"signal\":4294967305}"));
        assertEquals("'signal' is out of range: 4294967305", e.getOriginalMessage());
    }
}
