package io.mcp.core.cluster;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAnyAttribute;
import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlTransient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.namespace.QName;
import org.glassfish.jaxb.core.annotation.XmlLocation;
import org.xml.sax.Locator;

/**
 * {@code cluster.xml} as written, before defaults and checks; {@link ClusterConfig} is what MCP
 * uses. Each element keeps its location so that a bad value is reported with its line.
 * Elements and attributes added by later versions (ACLs, TLS, alert command) are kept, not
 * rejected.
 */
@XmlRootElement(name = "cluster")
@XmlAccessorType(XmlAccessType.FIELD)
public class ClusterXml {
    @XmlAttribute public String name;
    @XmlElement public ZooKeeper zookeeper;
    @XmlElement public Id node;
    @XmlElement(name = "member") public List<Id> members = new ArrayList<>();
    @XmlElement public Alert alert;

    @XmlAnyElement public List<Object> unknownElements = new ArrayList<>();
    @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();
    @XmlLocation @XmlTransient public Locator location;

    /**
     * {@code <zookeeper connect= session-timeout= port= bind= digest-file= tls-truststore=
     * tls-keystore= tls-password-file=>}: the ensemble, or {@code embedded}; {@code port} and
     * {@code bind} are where the embedded server listens.
     */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class ZooKeeper {
        @XmlAttribute public String connect;
        @XmlAttribute(name = "session-timeout") public String sessionTimeout;
        @XmlAttribute public String port;
        @XmlAttribute public String bind;
        @XmlAttribute(name = "digest-file") public String digestFile;
        @XmlAttribute(name = "tls-truststore") public String tlsTruststore;
        @XmlAttribute(name = "tls-keystore") public String tlsKeystore;
        @XmlAttribute(name = "tls-password-file") public String tlsPasswordFile;
        @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();
        @XmlLocation @XmlTransient public Locator location;
    }

    /** {@code <alert command= timeout=>}: what to run for each alert (an MCP extension). */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Alert {
        @XmlAttribute public String command;
        @XmlAttribute public String timeout;
        @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();
        @XmlLocation @XmlTransient public Locator location;
    }

    /** {@code <node id=>} and {@code <member id=>}. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Id {
        @XmlAttribute public String id;
        @XmlAnyAttribute public Map<QName, String> unknownAttributes = new HashMap<>();
        @XmlLocation @XmlTransient public Locator location;
    }

    /** The line of an element, 0 when unknown. */
    static int line(Locator location) {
        return location == null ? 0 : location.getLineNumber();
    }
}
