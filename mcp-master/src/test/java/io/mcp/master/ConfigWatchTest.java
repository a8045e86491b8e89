package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.proto.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watched config files (files.d and a service's {@code <config>}) run their change actions through the real forker. */
class ConfigWatchTest extends NodeTest {
    /** A files.d definition whose change action appends what it read to {@code seen.log}. */
    private void watchAppConf() throws IOException {
        Files.writeString(node.paths.filesDir().resolve("app.xml"), """
                <file path="override/app.conf" notify="1">
                  <actionlist name="change"><action>echo "[$(cat override/app.conf 2>/dev/null)]" >> seen.log</action></actionlist>
                </file>
                """);
    }

    /** Writes as editors do: a temporary file renamed over the old one. */
    private Path replace(String rel, String content) throws IOException {
        Path file = node.paths.root().resolve(rel);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> seen() {
        try {
            return Files.readAllLines(node.paths.root().resolve("seen.log"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private void awaitSeen(List<String> expected) {
        TestNode.await(() -> seen().equals(expected), () -> "change actions to have seen " + expected + ", saw " + seen());
    }

    @Test
    void aChangedFileRunsItsChangeActionsOncePerNewContent() throws Exception {
        replace("override/app.conf", "one");
        watchAppConf();
        node.startMaster();

        replace("override/app.conf", "two");
        awaitSeen(List.of("[two]"));
        replace("override/app.conf", "two"); // same bytes, new file: nothing to do
        Files.writeString(node.paths.root().resolve("override/app.conf"), "three"); // written in place
        awaitSeen(List.of("[two]", "[three]"));
        Files.delete(node.paths.root().resolve("override/app.conf"));
        awaitSeen(List.of("[two]", "[three]", "[]"));

        List<Event> events = new EventLog(node.paths.eventsLog(), Clock.systemUTC()).tail(100);
        assertTrue(events.stream().anyMatch(e -> e.source().equals("files.d/app") && e.kind().equals("changed")),
                events.toString());
    }

    @Test
    void aChangeWhileTheMasterWasDownRunsTheActionsWhenItComesBack() throws Exception {
        watchAppConf();
        replace("override/app.conf", "one");
        node.startMaster();
        replace("override/app.conf", "two");
        awaitSeen(List.of("[two]"));
        node.stopMaster();

        replace("override/app.conf", "three");
        node.startMaster();
        awaitSeen(List.of("[two]", "[three]"));

        // And an unchanged file runs nothing on the next start: the next change is the next line.
        node.stopMaster();
        node.startMaster();
        replace("override/app.conf", "four");
        awaitSeen(List.of("[two]", "[three]", "[four]"));
    }

    @Test
    void aServiceReloadsOnItsConfigOnlyWhileRunning() throws Exception {
        String service = """
                <service name="app" enable="%s">
                  <process name="sleep">%s</process>
                  <config path="etc/app.conf" on-change="reload"/>
                  <actionlist name="start"><action>%s</action></actionlist>
                  <actionlist name="reload"><action>echo "reload [$(cat etc/app.conf)]" >> seen.log</action></actionlist>
                </service>""";
        node.define("app.xml", service.formatted(1, node.mark(), node.sleep()));
        replace("etc/app.conf", "one");
        node.startMaster();
        long pid = node.awaitState("app", "running").pid();

        replace("etc/app.conf", "two");
        awaitSeen(List.of("reload [two]"));
        TestNode.await(() -> node.status("app").orElseThrow().lastActions().stream()
                .anyMatch(a -> a.list().equals("reload") && a.ok()), () -> "the reload in the status");
        assertEquals(pid, node.status("app").orElseThrow().pid(), "a reload is not a restart");

        node.define("app.xml", service.formatted(0, node.mark(), node.sleep()));
        node.awaitState("app", "stopped");
        replace("etc/app.conf", "three"); // stopped: it reads the file when it starts
        node.define("app.xml", service.formatted(1, node.mark(), node.sleep()));
        node.awaitState("app", "running");
        replace("etc/app.conf", "four");
        awaitSeen(List.of("reload [two]", "reload [four]"));
    }

    @Test
    void anEditedDefinitionRunsItsNewChangeActionsAndABrokenEditKeepsTheLastGoodOnes() throws Exception {
        watchAppConf();
        replace("override/app.conf", "one");
        node.startMaster();
        replace("override/app.conf", "two");
        awaitSeen(List.of("[two]"));

        Files.writeString(node.paths.filesDir().resolve("app.xml"), """
                <file path="override/app.conf" notify="1">
                  <actionlist name="change"><action>echo "new [$(cat override/app.conf)]" >> seen.log</action></actionlist>
                </file>
                """);
        awaitActionWith("new [");
        Files.writeString(node.paths.filesDir().resolve("app.xml"), "<file path=\"override/app.conf\" notify=\"1\">");
        TestNode.await(() -> events().stream().anyMatch(e -> e.kind().equals("invalid") && e.message().contains("app.xml")),
                () -> "the broken edit reported");
        replace("override/app.conf", "after the broken edit");
        TestNode.await(() -> seen().contains("new [after the broken edit]"),
                () -> "the last good change actions to run, saw " + seen());
        assertFalse(seen().contains("[after the broken edit]"), seen().toString());
    }

    private List<Event> events() {
        try {
            return new EventLog(node.paths.eventsLog(), Clock.systemUTC()).tail(100);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes new content until a change action's line starts with {@code prefix}: the edited
     * definition is read once the master's watch of files.d/ has seen it.
     */
    private void awaitActionWith(String prefix) {
        int[] n = {0};
        TestNode.await(() -> {
            if (seen().stream().anyMatch(l -> l.startsWith(prefix))) {
                return true;
            }
            try {
                replace("override/app.conf", "edit " + n[0]++);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return false;
        }, () -> "a change action starting with '" + prefix + "', saw last "
                + seen().subList(Math.max(0, seen().size() - 3), seen().size()));
    }

    @Test
    void aBrokenDefinitionIsReportedAndTheOthersKeepWorking() throws Exception {
        watchAppConf();
        Files.writeString(node.paths.filesDir().resolve("broken.xml"), """
                <file path="/etc/hosts" notify="sometimes"><actionlist name="change"><action>true</action></actionlist></file>
                """, StandardCharsets.UTF_8);
        node.startMaster();
        replace("override/app.conf", "one");
        awaitSeen(List.of("[one]"));
        List<Event> events = new EventLog(node.paths.eventsLog(), Clock.systemUTC()).tail(100);
        assertTrue(events.stream().anyMatch(e -> e.kind().equals("invalid") && e.message().contains("broken.xml")
                && e.message().contains("notify='sometimes'")), events.toString());
    }

    @Test
    void aNotifyZeroFileUnderOverrideIsKeptOnThisNode() throws Exception {
        Files.writeString(node.paths.filesDir().resolve("local.xml"), """
                <file path="override/local/tuning.conf" notify="0">
                  <actionlist name="change"><action>true</action></actionlist>
                </file>
                """);
        node.startMaster();
        assertTrue(node.master().localOnlyOverride("local/tuning.conf"));
        assertFalse(node.master().localOnlyOverride("app.conf"));
    }

    @TempDir
    Path etc;

    /** A files.d definition for {@code etc/app.conf}, outside the node's root, shared with the cluster. */
    private Path watchSharedEtcFile() throws IOException {
        Path file = etc.resolve("app.conf");
        Files.writeString(node.paths.filesDir().resolve("app.xml"), """
                <file path="%s">
                  <actionlist name="change"><action>echo "[$(cat %s)]" >> seen.log</action></actionlist>
                </file>
                """.formatted(file, file));
        return file;
    }

    /** The content (md5; "" for none) var/config-state.json records for {@code file}; null if none. */
    private String recorded(Path file) {
        try {
            return Json.MAPPER.readTree(node.paths.configState().toFile()).path(file.toString()).asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return null;
        }
    }

    @Test
    void aSharedFileOutsideOverrideTravelsThroughItsClusterCopyBothWays() throws Exception {
        Path file = watchSharedEtcFile();
        Files.writeString(file, "one");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Path copy = node.paths.overrideDir().resolve("files.d/app");
        node.startMaster();
        TestNode.await(() -> "one".equals(read(copy)), () -> "the cluster copy made from the file: " + read(copy));

        Files.writeString(file, "two"); // edited here: the copy follows, for the override sync to publish
        awaitSeen(List.of("[two]"));
        TestNode.await(() -> "two".equals(read(copy)), () -> "the copy to follow: " + read(copy));

        replace("override/files.d/app", "three"); // as the override sync writes what another node published
        awaitSeen(List.of("[two]", "[three]"));
        assertEquals("three", read(file));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file),
                "the file keeps its mode");

        Files.delete(copy); // deletions do not travel
        TestNode.await(() -> "".equals(recorded(copy)), () -> "the deletion seen: " + read(node.paths.configState()));
        assertEquals("three", read(file));
    }

    @Test
    void onFirstSightTheClusterCopyWinsAndTheChangeActionsRun() throws Exception {
        Path file = watchSharedEtcFile();
        Files.writeString(file, "as installed");
        replace("override/files.d/app", "the cluster's");
        node.startMaster();
        awaitSeen(List.of("[the cluster's]"));
        assertEquals("the cluster's", read(file));
    }
}
