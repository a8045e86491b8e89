package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import java.util.ArrayList;
import java.util.List;

/** The {@code <process>} element: how to recognise the running service and how to run it. */
@XmlAccessorType(XmlAccessType.FIELD)
public class ProcessSpec {
    /** Must match the running process's comm or argv[0] basename. */
    @XmlAttribute public String name;
    /** Where the daemon writes its PID; absent for a foreground service. */
    @XmlAttribute public String pidfile;
    @XmlAttribute public String startaction;
    @XmlAttribute public String stopaction;
    @XmlAttribute public String user;
    @XmlAttribute public String group;
    @XmlAttribute(name = "working-directory") public String workingDirectory;
    @XmlElement(name = "env") public List<EnvVar> env = new ArrayList<>();

    /** One {@code <env name="" value=""/>} setting for the service's actions. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class EnvVar {
        @XmlAttribute public String name;
        @XmlAttribute public String value;
    }
}
