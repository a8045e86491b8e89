package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import java.util.ArrayList;
import java.util.List;

/** An ordered list of shell command lines; it fails at the first action that exits non-zero. */
@XmlAccessorType(XmlAccessType.FIELD)
public class ActionList {
    @XmlAttribute public String name;
    @XmlElement(name = "action") public List<String> actions = new ArrayList<>();

    public List<String> commands() {
        return actions.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
