package io.mcp.ctl;

import static io.mcp.ctl.CtlRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.NodeStatus;
import io.mcp.core.control.NodeStatus.ProcessEntry;
import io.mcp.core.os.PidFiles;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mcpctl status}, against {@link TestMaster} (a stand-in for mcp-master on a real
 * control socket, until the end-to-end tests exist) and with no master at all.
 */
class StatusCommandTest {
    @TempDir
    Path root;

    private NodeStatus nodeStatus() {
        return new NodeStatus(root.toString(), "2",
                List.of(new ProcessEntry("mcp-failsafe", 100L, true), new ProcessEntry("mcp-master", 101L, true),
                        new ProcessEntry("mcp-forker", null, false)),
                "connected", true, List.of("1", "2"), 5, 4, true, null);
    }

    @Test
    void statusShowsTheNodeItsClusterAndTheProcesses() throws Exception {
        try (TestMaster master = new TestMaster(new NodePaths(root))) {
            master.nodeStatus = nodeStatus();

            CtlRun r = run("--root", root.toString(), "status");

            assertEquals(0, r.code(), r::toString);
            assertEquals(List.of(new ControlRequest(ControlRequest.STATUS, null, false)), master.requests);
            List<String> lines = r.outLines();
            assertEquals(List.of("Node:         2", "Root:         " + root, "ZooKeeper:    connected",
                    "Quorum:       yes", "Live members: 1, 2", "Overrides:    in sync", "Services:     5 (4 running)", ""),
                    lines.subList(0, 8));
            assertEquals("Process       PID  Running", lines.get(8));
            assertEquals(List.of("mcp-failsafe  100  yes", "mcp-master    101  yes", "mcp-forker    -    no (no PID file)"),
                    lines.subList(10, 13));
        }
    }

    @Test
    void statusSaysWhenOverridesAreNotInSyncAndNamesADuplicateNodeId() throws Exception {
        try (TestMaster master = new TestMaster(new NodePaths(root))) {
            NodeStatus s = nodeStatus();
            master.nodeStatus = new NodeStatus(s.root(), s.nodeId(), s.processes(), s.zookeeper(), false,
                    s.liveMembers(), s.services(), s.running(), false,
                    new NodeStatus.Duplicate("otherhost", 4321L, "1a2b"));

            CtlRun r = run("--root", root.toString(), "status");

            assertEquals(0, r.code(), r::toString);
            assertTrue(r.outLines().contains("Overrides:    not in sync"), r::toString);
            assertTrue(r.outLines().contains("Duplicate node id: 2 is also used by the master on host otherhost with"
                    + " PID 4321 (ZooKeeper session 1a2b), which owns its member node; this node keeps itself out of"
                    + " quorum"), r::toString);
            JsonNode json = Json.MAPPER.readTree(run("--root", root.toString(), "status", "--json").out());
            assertEquals(false, json.get("overridesInSync").asBoolean(true), json::toString);
            assertEquals("otherhost", json.path("duplicate").path("host").asText(), json::toString);
            assertEquals(4321, json.path("duplicate").path("pid").asLong(), json::toString);
        }
    }

    @Test
    void statusJsonIsTheNodeStatus() throws Exception {
        try (TestMaster master = new TestMaster(new NodePaths(root))) {
            master.nodeStatus = nodeStatus();

            CtlRun r = run("--root", root.toString(), "status", "--json");

            assertEquals(0, r.code(), r::toString);
            assertEquals(nodeStatus(), Json.MAPPER.readValue(r.out(), NodeStatus.class));
        }
    }

    @Test
    void withTheMasterDownStatusShowsThePidFilesAndExitsThree() throws Exception {
        NodePaths paths = new NodePaths(root);
        long alive = ProcessHandle.current().pid();
        long dead = deadPid();
        PidFiles.write(paths.pidFile(NodePaths.MASTER), alive);
        PidFiles.write(paths.pidFile(NodePaths.FORKER), dead);

        CtlRun r = run("--root", root.toString(), "status");

        assertEquals(3, r.code(), r::toString);
        assertEquals(List.of("mcpctl: cannot reach mcp-master at " + paths.controlSocket()
                + ": is the node agent running? (bin/mcp up)"), r.errLines());
        List<String> lines = r.outLines();
        assertEquals("mcp-master is not reachable; from the PID files under " + paths.runDir() + ":", lines.get(0));
        String header = lines.get(1);
        int pidColumn = header.indexOf("PID");
        int runningColumn = header.indexOf("Running");
        assertRow(lines.get(3), "mcp-failsafe", pidColumn, "-", runningColumn, "no (no PID file)");
        assertRow(lines.get(4), "mcp-master", pidColumn, Long.toString(alive), runningColumn, "yes");
        assertRow(lines.get(5), "mcp-forker", pidColumn, Long.toString(dead), runningColumn, "no (stale PID file)");

        JsonNode json = Json.MAPPER.readTree(run("--root", root.toString(), "status", "--json").out());
        assertTrue(json.get("processes").get(0).get("pid").isNull(), json::toString);
        assertEquals(alive, json.get("processes").get(1).get("pid").asLong());
        assertTrue(json.get("processes").get(1).get("alive").asBoolean());
    }

    private static void assertRow(String row, String name, int pidColumn, String pid, int runningColumn,
            String running) {
        assertTrue(row.startsWith(name + " "), row);
        assertTrue(row.startsWith(pid, pidColumn), row);
        assertEquals(running, row.substring(runningColumn), row);
    }

    /** The PID of a process that has exited and been reaped: PIDs are not reused at once. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
