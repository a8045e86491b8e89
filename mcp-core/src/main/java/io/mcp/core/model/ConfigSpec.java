package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;

/**
 * {@code <config path="override/named.conf" on-change="reload"/>} inside a service: a file the
 * service owns, and the service's actionlist to run when its content changes while it runs.
 */
@XmlAccessorType(XmlAccessType.FIELD)
public class ConfigSpec {
    /** Absolute, or relative to the node root. */
    @XmlAttribute public String path;
    @XmlAttribute(name = "on-change") public String onChange;
}
