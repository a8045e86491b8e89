package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAnyAttribute;
import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.namespace.QName;

/**
 * One watched configuration file, as written in a {@code files.d/*.xml} file:
 * {@code <file path="override/sysctl.conf" notify="1">} with a {@code change} actionlist that
 * runs on every node where the content changes.
 */
@XmlRootElement(name = "file")
@XmlAccessorType(XmlAccessType.FIELD)
public class FileDefinition {
    public static final String CHANGE = "change";

    /** Absolute, or relative to the node root. */
    @XmlAttribute public String path;
    /** {@code 0}: this node only, never propagated; anything else (the default) propagates. */
    @XmlAttribute public String notify;
    @XmlAttribute public String user;
    @XmlAttribute public String group;

    @XmlElement public String description;
    @XmlElement(name = "actionlist") public List<ActionList> actionlists = new ArrayList<>();

    @XmlAnyElement public List<Object> unknownElements = new ArrayList<>();
    @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();

    public boolean propagates() {
        return !"0".equals(notify == null ? null : notify.trim());
    }

    public Optional<ActionList> changeActions() {
        return actionlists.stream().filter(a -> CHANGE.equals(a.name)).findFirst();
    }
}
