package io.mcp.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.proto.Json;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MiniJsonTest {
    @Test
    void readsWhatJacksonWrites() throws Exception {
        ServiceStatus s = new ServiceStatus("svc \"q\" \\ é ✓ \u0001\n", null, true, false, "running", 12345678901L, 3,
                List.of("require-quorum"), "RUNNING", "r\tx", 1.5, null, "2026", null, "p", "/x",
                List.of(new ServiceStatus.ActionResult("start", "t", true, "exit 0", 4, "out\n")));
        String json = Json.MAPPER.writeValueAsString(Map.of("ok", true, "data", List.of(s)));

        Object parsed = MiniJson.parse(json);

        Object jackson = Json.MAPPER.readValue(json, Object.class);
        assertEquals(normalise(jackson), normalise(parsed));
        Map<?, ?> first = (Map<?, ?>) ((List<?>) ((Map<?, ?>) parsed).get("data")).get(0);
        assertEquals("svc \"q\" \\ é ✓ \u0001\n", first.get("name"));
        assertEquals(12345678901L, first.get("pid"));
        assertEquals(1.5, first.get("backoffSeconds"));
    }

    @Test
    void readsEveryKindOfValue() {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(1L, -2L, 3.25, -1.0e3, true, false, null, "x/y\u00e9", List.of(), Map.of()));
        expected.put("b", "\"\\/\b\f\n\r\t\u20ac");
        assertEquals(expected, MiniJson.parse(
                " { \"a\" : [1,-2,3.25,-1.0e3,true,false,null,\"x\\/y\\u00e9\",[],{}] ,\"b\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u20AC\"}\n"));
    }

    @Test
    void quotesWhatJacksonReadsBack() throws Exception {
        for (String text : List.of("", "webd", "a\"b\\c", "tab\tnl\n\u0001", "é ✓ /")) {
            assertEquals(text, Json.MAPPER.readValue(MiniJson.quote(text), String.class), text);
        }
    }

    @Test
    void refusesWhatIsNotJson() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "tru", "\"x", "\"\\q\"", "1 2", "{a:1}",
                "\"\u0001\"", "[1 2]", "\"\\u12\"")) {
            assertThrows(IllegalArgumentException.class, () -> MiniJson.parse(bad), bad);
        }
    }

    /** Jackson reads small integers as Integer: compare numbers by value. */
    private static Object normalise(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, normalise(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(MiniJsonTest::normalise).toList();
        }
        if (o instanceof Integer i) {
            return (long) i;
        }
        return o;
    }
}
