package io.mcp.core.xml;

import io.mcp.core.model.Durations;
import io.mcp.core.model.ServiceDefinition;
import java.nio.file.Path;

/** Reads and checks one {@code services.d/*.xml} file. */
public final class ServiceDefinitions {
    private ServiceDefinitions() {
    }

    public static ServiceDefinition load(Path file) throws XmlException {
        ServiceDefinition def = XmlFiles.read(file, ServiceDefinition.class);
        check(file, def);
        return def;
    }

    /** The checks XML binding cannot express; each failure names the field. */
    static void check(Path file, ServiceDefinition def) throws XmlException {
        if (def.name == null || def.name.isBlank()) {
            throw new XmlException(file, 0, "<service> has no name attribute");
        }
        if (!def.name.matches("[A-Za-z0-9_.@-]{1,64}")) {
            throw new XmlException(file, 0, "service name '" + def.name
                    + "' must be 1-64 letters, digits, '_', '.', '@' or '-'");
        }
        if (def.process == null) {
            throw new XmlException(file, 0, "service '" + def.name + "' has no <process> element");
        }
        if (def.process.name == null || def.process.name.isBlank()) {
            throw new XmlException(file, 0, "<process> of service '" + def.name + "' has no name attribute");
        }
        String start = def.process.startaction == null ? "start" : def.process.startaction;
        if (def.startActions().map(a -> a.commands().isEmpty()).orElse(true)) {
            throw new XmlException(file, 0, "service '" + def.name + "' has no actions in its start actionlist '"
                    + start + "'");
        }
        if (def.process.stopaction != null && def.stopActions().isEmpty()) {
            throw new XmlException(file, 0, "service '" + def.name + "' names stop actionlist '"
                    + def.process.stopaction + "', which is not defined");
        }
        if (def.restart != null) {
            try {
                Durations.parseOr(def.restart.initial, null);
                Durations.parseOr(def.restart.max, null);
                Durations.parseOr(def.restart.resetAfter, null);
            } catch (IllegalArgumentException e) {
                throw new XmlException(file, 0, "<restart>: " + e.getMessage());
            }
        }
        for (var config : def.configs) {
            if (config.path == null || config.path.isBlank()) {
                throw new XmlException(file, 0, "<config> of service '" + def.name + "' has no path attribute");
            }
            if (config.onChange != null && def.actionList(config.onChange).isEmpty()) {
                throw new XmlException(file, 0, "<config path='" + config.path + "'> of service '" + def.name
                        + "' names on-change actionlist '" + config.onChange + "', which is not defined");
            }
        }
        for (var env : def.process.env) {
            if (env.name == null || !env.name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new XmlException(file, 0, "<env> name '" + env.name + "' is not a valid variable name");
            }
        }
    }
}
