package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Definitions that change under a running master, good and bad. */
class DefinitionsTest extends NodeTest {
    @Test
    void malformedDefinitionIsInvalidWithFileLineAndReasonAndOthersKeepRunning() throws Exception {
        node.define("good.xml", node.foreground("good", true));
        node.startMaster();
        long pid = node.awaitState("good", "running").pid();

        node.define("bad.xml", "<?xml version=\"1.0\"?>\n<service name=\"bad\">\n  <process name=\"x\"\n");
        ServiceStatus bad = node.awaitState("bad", "invalid");
        assertTrue(bad.reason().contains("bad.xml:"), bad.reason());
        assertTrue(bad.reason().matches("(?s).*bad\\.xml:[34]:.*"), "names the line: " + bad.reason());
        assertNull(bad.pid());
        assertEquals(pid, node.status("good").orElseThrow().pid(), "the other service is untouched");
        List<Event> said = new EventLog(node.paths.eventsLog(), Clock.systemUTC()).tail(100).stream()
                .filter(e -> e.source().equals("bad")).toList();
        assertEquals(1, said.size(), "said once: " + said);
        assertEquals("invalid", said.get(0).kind());
        assertEquals(bad.reason(), said.get(0).message());
    }

    @Test
    void runningServiceKeepsItsLastGoodDefinitionWhenTheFileBreaks() throws Exception {
        Path file = node.define("k.xml", node.foreground("k", true));
        node.startMaster();
        long pid = node.awaitState("k", "running").pid();

        Files.writeString(file, "<service name=\"k\"><process"); // half-written
        ServiceStatus broken = node.awaitState("k", "invalid");
        assertEquals(pid, broken.pid(), "still running under the last good definition");
        assertEquals("RUNNING", broken.phase());
        assertTrue(TestNode.alive(pid));

        node.define("k.xml", node.foreground("k", true));
        assertEquals(pid, node.awaitState("k", "running").pid());
    }

    @Test
    void definitionWithDoctypeIsRefused() throws Exception {
        node.startMaster();
        node.define("x.xml", """
                <?xml version="1.0"?>
                <!DOCTYPE service [<!ENTITY e SYSTEM "file:///etc/passwd">]>
                <service name="x"><description>&e;</description></service>""");
        ServiceStatus x = node.awaitState("x", "invalid");
        assertTrue(x.reason().contains("DOCTYPE"), x.reason());
    }

    @Test
    void newFileIsPickedUpAndHiddenServicesAreFlagged() throws Exception {
        node.startMaster();
        node.define("h.xml", node.foreground("h", true).replace("enable=\"1\"", "enable=\"1\" display=\"0\""));
        ServiceStatus h = node.awaitState("h", "running");
        assertEquals(false, h.display());
        assertEquals("test service h", h.description());
    }
}
