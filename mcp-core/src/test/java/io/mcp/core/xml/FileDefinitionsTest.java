package io.mcp.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.model.FileDefinition;
import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.paths.NodePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDefinitionsTest {
    @TempDir Path root;

    private Path write(String name, String xml) throws IOException {
        return Files.writeString(Files.createDirectories(root.resolve("files.d")).resolve(name), xml);
    }

    private FileDefinition load(Path f) throws XmlException {
        return FileDefinitions.load(f, new NodePaths(root));
    }

    @Test
    void readsTheDesignExample() throws Exception {
        FileDefinition d = load(write("sysctl.xml", """
                <file path="override/sysctl.conf" notify="1">
                  <actionlist name="change"><action>sysctl -p override/sysctl.conf</action></actionlist>
                </file>
                """));
        assertEquals("override/sysctl.conf", d.path);
        assertTrue(d.propagates());
        assertEquals(List.of("sysctl -p override/sysctl.conf"), d.changeActions().orElseThrow().commands());
    }

    @Test
    void notifyZeroMayWatchAFileOutsideOverride() throws Exception {
        FileDefinition d = load(write("hosts.xml", """
                <file path="/etc/hosts" notify="0">
                  <actionlist name="change"><action>true</action></actionlist>
                </file>
                """));
        assertFalse(d.propagates());
    }

    @Test
    void aPropagatedFileOutsideOverrideIsAccepted() throws Exception {
        assertTrue(load(write("hosts.xml", """
                <file path="/etc/hosts">
                  <actionlist name="change"><action>true</action></actionlist>
                </file>
                """)).propagates());
    }

    @Test
    void theNodesOwnFilesAndTheClusterCopiesCannotBeShared() throws Exception {
        for (String path : List.of("override/../cluster.xml", "var/mlist.xml", "files.d/a.xml", "override/files.d/x")) {
            Path f = write("sneaky.xml", """
                    <file path="%s">
                      <actionlist name="change"><action>true</action></actionlist>
                    </file>
                    """.formatted(path));
            XmlException e = assertThrows(XmlException.class, () -> load(f), path);
            assertTrue(e.getMessage().startsWith(f + ": <file path='" + path + "'> is "), e.getMessage());
        }
        assertFalse(load(write("local.xml", """
                <file path="cluster.xml" notify="0"><actionlist name="change"><action>true</action></actionlist></file>
                """)).propagates());
    }

    @Test
    void missingPathChangeActionsOrBadNotifyAreNamed() throws Exception {
        XmlException noPath = assertThrows(XmlException.class, () -> load(write("a.xml", """
                <file><actionlist name="change"><action>true</action></actionlist></file>
                """)));
        assertTrue(noPath.getMessage().contains("no path"), noPath.getMessage());
        XmlException noActions = assertThrows(XmlException.class, () -> load(write("b.xml", """
                <file path="override/b.conf"><actionlist name="reload"><action>true</action></actionlist></file>
                """)));
        assertTrue(noActions.getMessage().contains("'change' actionlist"), noActions.getMessage());
        XmlException notify = assertThrows(XmlException.class, () -> load(write("c.xml", """
                <file path="override/c.conf" notify="yes"><actionlist name="change"><action>true</action></actionlist></file>
                """)));
        assertTrue(notify.getMessage().contains("notify='yes'"), notify.getMessage());
    }

    @Test
    void aServiceConfigMustNameADefinedActionlist() throws Exception {
        Path ok = write("named.xml", """
                <service name="named">
                  <process name="named"/>
                  <config path="override/named.conf" on-change="reload"/>
                  <actionlist name="start"><action>named -f</action></actionlist>
                  <actionlist name="reload"><action>rndc reload</action></actionlist>
                </service>
                """);
        ServiceDefinition d = ServiceDefinitions.load(ok);
        assertEquals("override/named.conf", d.configs.get(0).path);
        assertEquals("reload", d.configs.get(0).onChange);

        Path bad = write("named2.xml", """
                <service name="named">
                  <process name="named"/>
                  <config path="override/named.conf" on-change="reload"/>
                  <actionlist name="start"><action>named -f</action></actionlist>
                </service>
                """);
        XmlException e = assertThrows(XmlException.class, () -> ServiceDefinitions.load(bad));
        assertTrue(e.getMessage().contains("on-change actionlist 'reload'"), e.getMessage());
    }
}
