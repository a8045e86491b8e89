package io.mcp.ctl;

import static io.mcp.ctl.CtlRun.run;
import static io.mcp.ctl.TestMaster.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ClusterServices;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.ServiceStatus;
import io.mcp.core.control.ServiceStatus.ActionResult;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code mcpctl services} in all its forms, run in-process against {@link TestMaster}, a real
 * control socket served by core's {@code JsonLineServer} that stands in for mcp-master until
 * the end-to-end tests exist.
 */
class ServicesCommandTest {
    private static final String LONG_DESCRIPTION =
            "Domain name service with a description far too long to fit in the table as it is";

    @TempDir
    Path root;
    private String rootArg;
    private TestMaster master;

    @BeforeEach
    void startMaster() throws Exception {
        rootArg = root.toString();
        master = new TestMaster(new NodePaths(root))
                .with(service("webd", "Example web daemon", true, true, "running", 4242L, 1, List.of("require-quorum")))
                .with(service("dnsd", LONG_DESCRIPTION, false, true, "stopped", null, 0, List.of()))
                .with(service("helper", "Hidden helper", true, false, "running", 77L, 0, null));
    }

    @AfterEach
    void stopMaster() {
        master.close();
    }

    @Test
    void clusterShowsEveryNodesStateSideBySideAndDownNodes() throws Exception {
        master.clusterServices = new ClusterServices(List.of("1", "2", "3"), List.of("1", "2"), List.of(
                new ClusterServices.Row("dnsd", java.util.Map.of("1", "running", "2", "backoff")),
                new ClusterServices.Row("webd", java.util.Map.of("1", "running"))));
        CtlRun r = run("--root", rootArg, "services", "-a", "--cluster");

        assertEquals(0, r.code(), r::toString);
        assertEquals(List.of(new ControlRequest(ControlRequest.CLUSTER_SERVICES, null, true)), master.requests);
        List<String> lines = r.outLines();
        String header = lines.get(0);
        assertTrue(header.matches("Service Name +Node 1 +Node 2 +Node 3 \\(down\\)"), header);
        assertCell(header, lines.get(2), "Node 2", "backoff");
        assertCell(header, lines.get(3), "Node 1", "running");
        assertCell(header, lines.get(3), "Node 2", "-");
        assertEquals("Total: 2", lines.get(5));

        JsonNode json = Json.MAPPER.readTree(run("--root", rootArg, "services", "--cluster", "--json").out());
        assertEquals("backoff", json.path("services").get(0).path("states").path("2").asText(), json.toString());
    }

    @Test
    void clusterTakesNoName() {
        CtlRun r = run("--root", rootArg, "services", "webd", "--cluster");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("--cluster lists all services"), r.err());
    }

    @Test
    void listShowsDisplayedServicesInAnAlignedTableWithTotal() {
        CtlRun r = run("--root", rootArg, "services");

        assertEquals(0, r.code(), r::toString);
        assertEquals("", r.err());
        assertEquals(List.of(new ControlRequest(ControlRequest.SERVICES, null, false)), master.requests);
        List<String> lines = r.outLines();
        String header = lines.get(0);
        assertTrue(header.startsWith("Service Name  Service Description"), header);
        assertTrue(lines.get(1).matches("-{20,}"), lines.get(1));
        assertEquals(List.of("dnsd", "webd"), lines.subList(2, 4).stream().map(l -> l.split(" ")[0]).toList());
        assertEquals(lines.get(1), lines.get(4), "a rule closes the rows");
        assertEquals("Total: 2", lines.get(5));
        assertEquals(6, lines.size(), r::toString);

        assertCell(header, lines.get(2), "Service Description", "Domain name service with a descriptio...");
        assertCell(header, lines.get(2), "Enable", "No ");
        assertCell(header, lines.get(2), "State", "stopped ");
        assertCell(header, lines.get(2), "PID", "-");
        assertCell(header, lines.get(3), "Service Description", "Example web daemon ");
        assertCell(header, lines.get(3), "Enable", "Yes");
        assertCell(header, lines.get(3), "State", "running");
        assertCell(header, lines.get(3), "PID", "4242");
        for (String line : lines) {
            assertEquals(line.stripTrailing(), line, "no trailing blanks");
        }
    }

    /** The cell of {@code row} under {@code column} of {@code header} starts with {@code expected}. */
    private static void assertCell(String header, String row, String column, String expected) {
        int at = header.indexOf(column);
        assertTrue(row.startsWith(expected, at), () -> "under '" + column + "' expected '" + expected + "' in\n"
                + header + "\n" + row);
    }

    @Test
    void allIncludesHiddenServices() {
        CtlRun r = run("--root", rootArg, "services", "-a");

        assertEquals(0, r.code(), r::toString);
        assertEquals(List.of(new ControlRequest(ControlRequest.SERVICES, null, true)), master.requests);
        assertEquals(List.of("dnsd", "helper", "webd"),
                r.outLines().subList(2, 5).stream().map(l -> l.split(" ")[0]).toList());
        assertEquals("Total: 3", r.outLines().get(r.outLines().size() - 1));
    }

    @Test
    void jsonHasExactlyTheContractKeysWithNullPid() throws Exception {
        CtlRun r = run("--root", rootArg, "services", "-a", "--json");

        assertEquals(0, r.code(), r::toString);
        JsonNode array = Json.MAPPER.readTree(r.out());
        assertEquals(3, array.size());
        for (JsonNode s : array) {
            List<String> keys = new ArrayList<>();
            s.fieldNames().forEachRemaining(keys::add);
            assertEquals(ServicesCommand.CONTRACT_KEYS, keys, s::toString);
        }
        JsonNode dnsd = array.get(0);
        assertEquals("dnsd", dnsd.get("name").asText());
        assertEquals(LONG_DESCRIPTION, dnsd.get("description").asText(), "JSON is never truncated");
        assertTrue(dnsd.get("pid").isNull());
        assertFalse(dnsd.get("enabled").asBoolean());
        JsonNode helper = array.get(1);
        assertTrue(helper.get("options").isArray() && helper.get("options").isEmpty());
        assertFalse(helper.get("display").asBoolean());
        JsonNode webd = array.get(2);
        assertEquals(4242, webd.get("pid").asLong());
        assertEquals(1, webd.get("restarts").asInt());
        assertEquals("running", webd.get("state").asText());
        assertEquals("require-quorum", webd.get("options").get(0).asText());
    }

    private ServiceStatus detailed() {
        return new ServiceStatus("webd", "Example web daemon", true, true, "backoff", null, 3,
                List.of("require-quorum", "kill-on-sigquorum"), "BACKOFF", "start failed: exit 1", 4.0,
                "2025-01-01T00:00:10Z", "2025-01-01T00:00:06Z", "/etc/mcp/services.d/webd.xml", "webd",
                "/var/run/webd.pid",
                List.of(new ActionResult("start", "2025-01-01T00:00:05Z", false, "exit 1", 12,
                        "loading config\nbind: address in use\n")));
    }

    @Test
    void detailPrintsKeyValueLines() {
        master.with(detailed());

        CtlRun r = run("--root", rootArg, "services", "webd");

        assertEquals(0, r.code(), r::toString);
        assertEquals(List.of(new ControlRequest(ControlRequest.SERVICE, "webd", false)), master.requests);
        List<String> lines = r.outLines();
        int valueColumn = lines.get(0).indexOf("webd");
        for (String[] kv : new String[][] {{"Service", "webd"}, {"Definition file", "/etc/mcp/services.d/webd.xml"},
                {"Enabled", "Yes"}, {"Options", "require-quorum, kill-on-sigquorum"}, {"State", "backoff"},
                {"Phase", "BACKOFF"}, {"PID", "-"}, {"Restarts", "3"},
                {"Backoff", "4.0 s (next start 2025-01-01T00:00:10Z)"}, {"Reason", "start failed: exit 1"},
                {"Process name", "webd"}, {"PID file", "/var/run/webd.pid"}}) {
            String line = lines.stream().filter(l -> l.startsWith(kv[0] + ":")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kv[0] + " in\n" + r.out()));
            assertEquals(kv[1], line.substring(valueColumn), line);
        }
        int actions = lines.indexOf("Last actions:");
        assertTrue(actions > 0, r::toString);
        assertEquals("  start  2025-01-01T00:00:05Z  FAILED  12 ms  exit 1", lines.get(actions + 1));
        assertEquals(List.of("    | loading config", "    | bind: address in use"),
                lines.subList(actions + 2, lines.size()));
    }

    @Test
    void detailJsonHasTheContractKeysFirstThenDetail() throws Exception {
        master.with(detailed());

        JsonNode s = Json.MAPPER.readTree(run("--root", rootArg, "services", "webd", "--json").out());

        List<String> keys = new ArrayList<>();
        s.fieldNames().forEachRemaining(keys::add);
        assertEquals(ServicesCommand.CONTRACT_KEYS, keys.subList(0, 8));
        assertTrue(s.get("pid").isNull());
        assertEquals("BACKOFF", s.get("phase").asText());
        assertEquals("/etc/mcp/services.d/webd.xml", s.get("file").asText());
        assertEquals("exit 1", s.get("lastActions").get(0).get("summary").asText());
    }

    @Test
    void restartArmedIsInTheDetailJsonOnlyNotInTheText() throws Exception {
        ServiceStatus d = detailed();
        ServiceStatus armed = new ServiceStatus(d.name(), d.description(), d.enabled(), d.display(), "running", 4242L,
                d.restarts(), d.options(), "RUNNING", "started", null, null, d.since(), d.file(), d.processName(),
                d.pidFile(), d.lastActions(), true);
        master.with(armed);

        JsonNode s = Json.MAPPER.readTree(run("--root", rootArg, "services", "webd", "--json").out());
        CtlRun text = run("--root", rootArg, "services", "webd");
        CtlRun list = run("--root", rootArg, "services", "-a", "--json");

        assertTrue(s.get("restartArmed").asBoolean(), s.toString());
        assertFalse(text.out().contains("rmed"), text.out());
        assertFalse(list.out().contains("restartArmed"), "listings keep to the contract keys: " + list.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"enable", "disable"})
    void enableAndDisableSendTheirRequestAndPrintTheResult(String action) {
        CtlRun r = run("--root", rootArg, "services", "dnsd", action);

        assertEquals(0, r.code(), r::toString);
        assertEquals(List.of(new ControlRequest(action, "dnsd", false)), master.requests);
        String state = action.equals("enable") ? "starting" : "stopping";
        assertEquals("Service dnsd " + action + "d (state: " + state + ").\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void aRefusedChangeExitsOneWithTheMastersReason() {
        master.refuseChanges = "not allowed: uid 1000 is neither root, the daemon's user nor in its group";

        CtlRun r = run("--root", rootArg, "services", "webd", "disable");

        assertEquals(1, r.code(), r::toString);
        assertEquals(List.of("mcpctl: " + master.refuseChanges), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void aNameWithQuotesReachesTheMasterAsTyped() {
        CtlRun r = run("--root", rootArg, "services", "we\"b\\d");

        assertEquals(List.of(new ControlRequest(ControlRequest.SERVICE, "we\"b\\d", false)), master.requests);
        assertEquals(List.of("mcpctl: no such service: we\"b\\d"), r.errLines());
    }

    @Test
    void anUnknownServiceExitsOneWithOneLine() {
        CtlRun r = run("--root", rootArg, "services", "nosuch");

        assertEquals(1, r.code(), r::toString);
        assertEquals(List.of("mcpctl: no such service: nosuch"), r.errLines());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"services", "services -a --json", "services webd", "services webd enable"})
    void aMasterThatIsDownExitsThreeWithAFriendlyLine(String command) {
        master.close();

        List<String> args = new ArrayList<>(List.of("--root", rootArg));
        args.addAll(List.of(command.split(" ")));
        CtlRun r = run(args.toArray(String[]::new));

        assertEquals(3, r.code(), r::toString);
        assertEquals(List.of("mcpctl: cannot reach mcp-master at " + root.resolve("var/run/mcp-master.sock")
                + ": is the node agent running? (bin/mcp up)"), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    @Timeout(20)
    void aMasterThatDoesNotAnswerTimesOutWithThree() {
        master.hang = new CountDownLatch(1);

        CtlRun r = run(Duration.ofMillis(300), "--root", rootArg, "services");

        assertEquals(3, r.code(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains("did not answer within 300 ms"), r::toString);
    }

    @Test
    void anUnknownActionIsAUsageErrorNamingTheActions() {
        CtlRun r = run("--root", rootArg, "services", "webd", "frob");

        assertEquals(2, r.code(), r::toString);
        assertEquals("mcpctl: unknown action 'frob' for services NAME: expected enable or disable", r.errLines().get(0));
        assertEquals("Try 'mcpctl services --help' for more information.", r.errLines().get(1));
        assertEquals(List.of(), master.requests, "nothing is sent on a usage error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "frob", "services --bogus", "services a b c", "services -a webd", "events -n x",
            "events -n 0", "status extra", "--root"})
    void badUsageExitsTwoWithTheReasonAndAHint(String command) {
        String[] args = command.isEmpty() ? new String[0] : command.split(" ");

        CtlRun r = run(args);

        assertEquals(2, r.code(), r::toString);
        assertEquals(2, r.errLines().size(), r::toString);
        assertTrue(r.errLines().get(0).startsWith("mcpctl: "), r::toString);
        assertTrue(r.errLines().get(1).matches("Try 'mcpctl( \\w+)? --help' for more information\\."), r::toString);
        assertEquals("", r.out());
        assertEquals(List.of(), master.requests);
    }

    @Test
    void rootMayAlsoFollowTheCommand() {
        CtlRun r = run("services", "--root", rootArg);

        assertEquals(0, r.code(), r::toString);
        assertEquals(1, master.requests.size());
    }

    @Test
    void helpGoesToStdoutAndExitsZero() {
        CtlRun r = run("services", "--help");

        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().startsWith("Usage: mcpctl services"), r::toString);
        assertTrue(r.out().contains("enable or disable"), r::toString);
    }
}
