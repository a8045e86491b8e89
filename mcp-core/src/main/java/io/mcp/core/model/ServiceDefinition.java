package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAnyAttribute;
import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.xml.namespace.QName;

/**
 * One service as written in a {@code services.d/*.xml} file, in the OneFS format.
 * Unknown elements (such as {@code isi-meta-tag}) and attributes are kept, not rejected.
 */
@XmlRootElement(name = "service")
@XmlAccessorType(XmlAccessType.FIELD)
public class ServiceDefinition {
    @XmlAttribute public String name;
    @XmlAttribute public String enable;
    @XmlAttribute public String display;
    @XmlAttribute public String options;

    @XmlElement public String description;
    @XmlElement public ProcessSpec process;
    @XmlElement(name = "actionlist") public List<ActionList> actionlists = new ArrayList<>();
    @XmlElement public RestartSpec restart;
    @XmlElement(name = "config") public List<ConfigSpec> configs = new ArrayList<>();

    @XmlAnyElement public List<Object> unknownElements = new ArrayList<>();
    @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();

    /** The default enabled state: {@code enable="1"}. */
    public boolean enabledByDefault() {
        return "1".equals(trim(enable));
    }

    /** Hidden from {@code mcpctl services} only when {@code display="0"}. */
    public boolean displayed() {
        return !"0".equals(trim(display));
    }

    public Optional<ActionList> actionList(String listName) {
        if (listName == null) {
            return Optional.empty();
        }
        return actionlists.stream().filter(a -> listName.equals(a.name)).findFirst();
    }

    /** The actionlist the process names as its start action, "start" if it names none. */
    public Optional<ActionList> startActions() {
        return actionList(process == null || process.startaction == null ? "start" : process.startaction);
    }

    /** The actionlist the process names as its stop action, "stop" if it names none. */
    public Optional<ActionList> stopActions() {
        return actionList(process == null || process.stopaction == null ? "stop" : process.stopaction);
    }

    /** A process with no pidfile is a foreground service that the forker starts and tracks. */
    public boolean foreground() {
        return process != null && (process.pidfile == null || process.pidfile.isBlank());
    }

    public Set<ServiceOption> knownOptions() {
        Set<ServiceOption> set = EnumSet.noneOf(ServiceOption.class);
        for (String word : optionWords()) {
            ServiceOption.fromXml(word).ifPresent(set::add);
        }
        return set;
    }

    public List<String> unknownOptions() {
        return optionWords().stream().filter(w -> ServiceOption.fromXml(w).isEmpty()).toList();
    }

    private List<String> optionWords() {
        if (options == null || options.isBlank()) {
            return List.of();
        }
        return List.of(options.trim().split("\\s*,\\s*"));
    }

    public RestartSpec restartOrDefault() {
        return restart == null ? new RestartSpec() : restart;
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
