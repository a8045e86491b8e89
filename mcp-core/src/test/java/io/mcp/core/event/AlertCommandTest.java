package io.mcp.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.cluster.ClusterConfig.Overrides;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import io.mcp.core.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cluster.xml's {@code <alert command>} run by a real shell for alerts written to a real event log. */
class AlertCommandTest {
    @TempDir
    Path dir;
    private NodePaths paths;
    private EventLog events;

    @BeforeEach
    void setUp() {
        paths = new NodePaths(dir).ensureLayout();
        events = new EventLog(paths.eventsLog(), Clock.systemUTC());
        EventLog.deliverAlertsTo(new AlertCommand(paths, Overrides.NONE, events, "test"));
    }

    @AfterEach
    void noDelivery() {
        EventLog.deliverAlertsTo(alert -> { });
    }

    private void alertCommand(String attributes) throws IOException {
        Files.writeString(paths.clusterXml(), "<cluster name=\"lab\"><node id=\"n1\"/><alert " + attributes
                + "/></cluster>");
    }

    private Path awaitFile(String name) {
        Path f = dir.resolve(name);
        Await.until(() -> Files.exists(f.resolveSibling(name + ".done")), () -> name + " written by the alert command");
        return f;
    }

    private Optional<Event> awaitWarning(String text) {
        Await.until(() -> warning(text).isPresent(), () -> "a warning containing '" + text + "' in " + tail());
        return warning(text);
    }

    private Optional<Event> warning(String text) {
        return tail().stream().filter(e -> e.level().equals("warning") && e.kind().equals("alert-command")
                && e.message().contains(text)).findFirst();
    }

    private List<Event> tail() {
        try {
            return events.tail(100);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anAlertRunsTheCommandWithTheAlertInItsEnvironmentAndOnStdin() throws Exception {
        alertCommand("command=\"env | grep ^MCP_ | sort > alert.env; cat > alert.json; touch alert.env.done\"");
        events.info("svc", "started", "not an alert");
        events.warning("svc", "crashed", "not an alert either");
        events.alert("svc", "failing", "failing for 10 minutes; last: \"exit 3\"");

        List<String> env = Files.readAllLines(awaitFile("alert.env"));
        Event alert = Json.MAPPER.readValue(Files.readString(dir.resolve("alert.json")), Event.class);
        assertEquals("alert", alert.level());
        assertEquals("failing for 10 minutes; last: \"exit 3\"", alert.message());
        assertEquals(List.of("MCP_ALERT_KIND=failing", "MCP_ALERT_MESSAGE=failing for 10 minutes; last: \"exit 3\"",
                "MCP_ALERT_SOURCE=svc", "MCP_ALERT_TIME=" + alert.time(), "MCP_CLUSTER=lab", "MCP_NODE_ID=n1",
                "MCP_ROOT=" + dir), env);
    }

    @Test
    void alertsAreDeliveredOneAfterTheOtherWithTheCommandAsTheFileSaysThen() throws Exception {
        alertCommand("command=\"echo start $MCP_ALERT_MESSAGE >> alerts.txt; sleep 0.2; "
                + "echo end $MCP_ALERT_MESSAGE >> alerts.txt\"");
        events.alert("svc", "failing", "1");
        events.alert("svc", "failing", "2");
        Path log = dir.resolve("alerts.txt");
        Await.until(() -> lines(log).size() == 4, () -> "two alerts delivered: " + lines(log));
        assertEquals(List.of("start 1", "end 1", "start 2", "end 2"), lines(log));

        // Changed without a restart: the next alert runs the new command.
        alertCommand("command=\"echo changed $MCP_ALERT_MESSAGE >> alerts.txt\"");
        events.alert("svc", "failing", "3");
        Await.until(() -> lines(log).size() == 5, () -> "the third alert delivered: " + lines(log));
        assertEquals("changed 3", lines(log).get(4));
    }

    private static List<String> lines(Path f) {
        try {
            return Files.exists(f) ? Files.readAllLines(f) : List.of();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFailingCommandIsAWarningAndItsOutputIsKept() throws Exception {
        alertCommand("command=\"echo no route to pager; exit 3\"");
        events.alert("svc", "failing", "x");
        Event w = awaitWarning("exited with status 3").orElseThrow();
        assertEquals("test", w.source());
        assertTrue(w.message().contains(paths.alertLog().toString()), w.message());
        assertEquals("no route to pager\n", Files.readString(paths.alertLog()));
        assertEquals(1, tail().stream().filter(e -> e.level().equals("alert")).count(), "no alert about the alert");
    }

    @Test
    void aCommandStillRunningAtItsTimeoutIsKilled() throws Exception {
        alertCommand("command=\"echo $$ > alert.pid; touch alert.pid.done; exec sleep 600\" timeout=\"1s\"");
        events.alert("svc", "failing", "x");
        long pid = Long.parseLong(Files.readString(awaitFile("alert.pid")).strip());
        awaitWarning("was killed after 1 s");
        Await.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), () -> "pid " + pid + " gone");
    }

    @Test
    void anUnreadableClusterXmlIsAWarningNamingItsLine() throws Exception {
        Files.writeString(paths.clusterXml(), "<cluster>\n<alert command=\"x\"\n</cluster>");
        events.alert("svc", "failing", "x");
        assertTrue(awaitWarning("alert not passed to the alert command: " + paths.clusterXml() + ":").isPresent());
    }
}
