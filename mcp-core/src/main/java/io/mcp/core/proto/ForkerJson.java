package io.mcp.core.proto;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Both sides of the forker's socket: {@link ForkerRequest}s and {@link ForkerReply}s read and
 * written with Jackson's streaming parser and generator, field by field, as {@link Json#MAPPER}
 * reads and writes them (null fields left out, unknown fields ignored). The forker then loads no
 * data binding (~580 classes fewer), and the master's calls to the forker, mostly run before the
 * JIT has compiled them, cost a fraction of the data binding's CPU.
 */
public final class ForkerJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ForkerJson() {
    }

    /** One request line (null for {@code null}); a malformed one fails with a message that names the field. */
    public static ForkerRequest readRequest(String line) throws IOException {
        String op = null;
        String service = null;
        List<String> actions = null;
        String command = null;
        Map<String, String> env = null;
        String user = null;
        String group = null;
        String workdir = null;
        long timeoutMillis = 0;
        String pidFile = null;
        String log = null;
        Long pid = null;
        try (JsonParser p = FACTORY.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                return null;
            }
            expect(p, first, JsonToken.START_OBJECT, "a request");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "op" -> op = text(p, value, field);
                    case "service" -> service = text(p, value, field);
                    case "actions" -> actions = texts(p, value, field);
                    case "command" -> command = text(p, value, field);
                    case "env" -> env = textMap(p, value, field);
                    case "user" -> user = text(p, value, field);
                    case "group" -> group = text(p, value, field);
                    case "workdir" -> workdir = text(p, value, field);
                    case "timeoutMillis" -> {
                        Long t = number(p, value, field);
                        timeoutMillis = t == null ? 0 : t;
                    }
                    case "pidFile" -> pidFile = text(p, value, field);
                    case "log" -> log = text(p, value, field);
                    case "pid" -> pid = number(p, value, field);
                    default -> p.skipChildren();
                }
            }
            expect(p, p.currentToken(), JsonToken.END_OBJECT, "the end of the request");
        }
        return new ForkerRequest(op, service, actions, command, env, user, group, workdir, timeoutMillis, pidFile, log,
                pid);
    }

    /** One request, without its line end: for a client that has no data binding either. */
    public static byte[] writeRequest(ForkerRequest r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            writeText(g, "op", r.op());
            writeText(g, "service", r.service());
            if (r.actions() != null) {
                g.writeArrayFieldStart("actions");
                for (String a : r.actions()) {
                    g.writeString(a);
                }
                g.writeEndArray();
            }
            writeText(g, "command", r.command());
            if (r.env() != null) {
                g.writeObjectFieldStart("env");
                for (Map.Entry<String, String> e : r.env().entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            writeText(g, "user", r.user());
            writeText(g, "group", r.group());
            writeText(g, "workdir", r.workdir());
            g.writeNumberField("timeoutMillis", r.timeoutMillis());
            writeText(g, "pidFile", r.pidFile());
            writeText(g, "log", r.log());
            if (r.pid() != null) {
                g.writeNumberField("pid", r.pid());
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void writeText(JsonGenerator g, String field, String value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value);
        }
    }

    /** One reply, without its line end. */
    public static byte[] writeReply(ForkerReply r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeBooleanField("ok", r.ok());
            if (r.exitCode() != null) {
                g.writeNumberField("exitCode", r.exitCode());
            }
            if (r.signal() != null) {
                g.writeNumberField("signal", r.signal());
            }
            g.writeBooleanField("execFailed", r.execFailed());
            g.writeBooleanField("timedOut", r.timedOut());
            g.writeNumberField("durationMillis", r.durationMillis());
            if (r.failedAction() != null) {
                g.writeStringField("failedAction", r.failedAction());
            }
            if (r.outputTail() != null) {
                g.writeStringField("outputTail", r.outputTail());
            }
            if (r.pid() != null) {
                g.writeNumberField("pid", r.pid());
            }
            if (r.error() != null) {
                g.writeStringField("error", r.error());
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** One reply line: the master's side, without the data binding, as for the requests. */
    public static ForkerReply readReply(String line) throws IOException {
        boolean ok = false;
        Integer exitCode = null;
        Integer signal = null;
        boolean execFailed = false;
        boolean timedOut = false;
        long durationMillis = 0;
        String failedAction = null;
        String outputTail = null;
        Long pid = null;
        String error = null;
        try (JsonParser p = FACTORY.createParser(line)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, "a reply");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "ok" -> ok = flag(p, value, field);
                    case "exitCode" -> exitCode = integer(p, value, field);
                    case "signal" -> signal = integer(p, value, field);
                    case "execFailed" -> execFailed = flag(p, value, field);
                    case "timedOut" -> timedOut = flag(p, value, field);
                    case "durationMillis" -> {
                        Long d = number(p, value, field);
                        durationMillis = d == null ? 0 : d;
                    }
                    case "failedAction" -> failedAction = text(p, value, field);
                    case "outputTail" -> outputTail = text(p, value, field);
                    case "pid" -> pid = number(p, value, field);
                    case "error" -> error = text(p, value, field);
                    default -> p.skipChildren();
                }
            }
            expect(p, p.currentToken(), JsonToken.END_OBJECT, "the end of the reply");
        }
        return new ForkerReply(ok, exitCode, signal, execFailed, timedOut, durationMillis, failedAction, outputTail,
                pid, error);
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken wanted, String what) throws JsonParseException {
        if (got != wanted) {
            throw new JsonParseException(p, "expected " + what + ", found " + describe(got));
        }
    }

    private static String text(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new JsonParseException(p, "'" + field + "' must be a string, not " + describe(value));
        }
        return p.getText();
    }

    private static Long number(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw new JsonParseException(p, "'" + field + "' must be a whole number, not " + describe(value));
        }
        return p.getLongValue();
    }

    private static Integer integer(JsonParser p, JsonToken value, String field) throws IOException {
        Long n = number(p, value, field);
        if (n != null && n.intValue() != n) {
            throw new JsonParseException(p, "'" + field + "' is out of range: " + n);
        }
        return n == null ? null : n.intValue();
    }

    private static boolean flag(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return false;
        }
        if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE) {
            throw new JsonParseException(p, "'" + field + "' must be true or false, not " + describe(value));
        }
        return value == JsonToken.VALUE_TRUE;
    }

    private static List<String> texts(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_ARRAY) {
            throw new JsonParseException(p, "'" + field + "' must be a list of strings, not " + describe(value));
        }
        List<String> list = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            list.add(text(p, t, field));
        }
        return list;
    }

    private static Map<String, String> textMap(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_OBJECT) {
            throw new JsonParseException(p, "'" + field + "' must be an object of strings, not " + describe(value));
        }
        Map<String, String> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.getCurrentName();
            map.put(name, text(p, p.nextToken(), field + "." + name));
        }
        return map;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the line";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "true or false";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }
}
