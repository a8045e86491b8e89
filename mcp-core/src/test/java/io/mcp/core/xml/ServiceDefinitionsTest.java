package io.mcp.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.model.ServiceOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceDefinitionsTest {
    @TempDir Path dir;

    private Path write(String name, String xml) throws IOException {
        return Files.writeString(dir.resolve(name), xml);
    }

    @Test
    void acceptsOneFsFileAsIs() throws Exception {
        Path f = write("webd.xml", """
                <?xml version="1.0"?>
                <service name="webd" enable="0" display="1" options="require-quorum,kill-on-sigquorum,frobnicate">
                  <isi-meta-tag id="webd_service"><mod-attribs>enable</mod-attribs></isi-meta-tag>
                  <description>Example web daemon</description>
                  <process name="webd" pidfile="/var/run/webd.pid" startaction="start" stopaction="stop"/>
                  <actionlist name="start"><action>/usr/sbin/webd --daemon</action></actionlist>
                  <actionlist name="stop"><action>/usr/bin/pkill -F /var/run/webd.pid</action></actionlist>
                </service>
                """);
        ServiceDefinition d = ServiceDefinitions.load(f);
        assertEquals("webd", d.name);
        assertFalse(d.enabledByDefault());
        assertTrue(d.displayed());
        assertFalse(d.foreground());
        assertEquals(Set.of(ServiceOption.REQUIRE_QUORUM, ServiceOption.KILL_ON_SIGQUORUM), d.knownOptions());
        assertEquals(List.of("frobnicate"), d.unknownOptions());
        assertEquals(List.of("/usr/sbin/webd --daemon"), d.startActions().orElseThrow().commands());
        assertEquals(1, d.unknownElements.size(), "isi-meta-tag is kept");
    }

    @Test
    void refusesDoctypeAndExternalEntities() throws Exception {
        Path f = write("evil.xml", """
                <?xml version="1.0"?>
                <!DOCTYPE service [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <service name="evil"><description>&x;</description></service>
                """);
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
        assertTrue(e.reason().contains("DOCTYPE"), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void truncatedFileNamesItsLine() throws Exception {
        Path f = write("half.xml", "<?xml version=\"1.0\"?>\n<service name=\"half\">\n  <process name=\"x\"\n");
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
        assertTrue(e.line() >= 3, "line " + e.line() + " in " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void emptyFileIsInvalid() throws Exception {
        Path f = write("empty.xml", "");
        assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
    }

    @Test
    void missingStartActionlistIsNamed() throws Exception {
        Path f = write("nostart.xml", "<service name=\"s\"><process name=\"s\"/></service>");
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
        assertTrue(e.reason().contains("start actionlist"), e.reason());
    }

    @Test
    void wrongRootIsNamed() throws Exception {
        Path f = write("file.xml", "<file path=\"x\"/>");
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
        assertTrue(e.reason().contains("<file>"), e.reason());
    }

    @Test
    void badDurationIsNamed() throws Exception {
        Path f = write("r.xml", """
                <service name="r"><process name="r"/>
                <actionlist name="start"><action>sleep 1</action></actionlist>
                <restart initial="soon"/></service>""");
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(f));
        assertTrue(e.reason().contains("soon"), e.reason());
    }
}
