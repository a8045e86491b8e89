package io.mcp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three MCP processes and the operator's commands, end to end, as real processes. */
class NodeAgentTest {
    @TempDir Path root;
    NodeAgent node;

    @AfterEach
    void cleanUp() {
        if (node != null) {
            node.close();
        }
    }

    /** A node agent with one foreground service "svc" running; its PID. */
    private long upWithRunningService() throws Exception {
        node = new NodeAgent(root);
        node.defineForeground("svc", true);
        node.up();
        return node.awaitRunning("svc");
    }

    @Test
    void servicesRunAndMcpctlListsThem() throws Exception {
        node = new NodeAgent(root);
        node.defineForeground("alpha", true);
        node.defineForeground("beta", false);
        node.up();
        long pid = node.awaitRunning("alpha");
        assertTrue(NodeAgent.alive(pid));

        NodeAgent.Result list = node.mcpctl("services", "-a", "--json");
        assertEquals(0, list.exit(), list.err());
        JsonNode services = list.json();
        assertEquals(2, services.size());
        for (JsonNode s : services) {
            for (String field : new String[] {"name", "description", "enabled", "display", "state", "pid", "restarts",
                    "options"}) {
                assertTrue(s.has(field), "contract field " + field + " in " + s);
            }
        }
        assertEquals("stopped", node.state("beta"));

        NodeAgent.Result table = node.mcpctl("services");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("alpha") && table.out().contains("running"), table.out());

        NodeAgent.Result status = node.mcpctl("status", "--json");
        assertEquals(0, status.exit(), status.err());
        assertTrue(status.out().contains("mcp-forker"), status.out());
    }

    /**
     * Each process's command line names it and no other MCP process (`pgrep -f mcp-master` finds
     * the master alone), and the master and forker run with the lifeline and their class-data archive,
     * and without performance counters.
     */
    @Test
    void eachProcessIsRecognisableInPsAsItselfOnlyAndRunsWithItsFlags() throws Exception {
        node = new NodeAgent(root);
        node.up();
        List<String> names = List.of(NodePaths.FAILSAFE, NodePaths.MASTER, NodePaths.FORKER);
        for (String name : names) {
            long pid = node.processPid(name).orElseThrow();
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
            for (String other : names) {
                assertEquals(other.equals(name), cmdline.contains(other), name + "'s command line: " + cmdline);
            }
            if (!name.equals(NodePaths.FAILSAFE)) {
                assertTrue(cmdline.contains(" -Dmcp.lifeline=true "), cmdline);
                assertTrue(cmdline.contains(" -XX:SharedArchiveFile=" + NodeAgent.HOME.resolve(name + "/target/"
                        + name + ".jsa") + " "), cmdline);
                // Their sampling was a fifth of an idle master's CPU.
                Path counters = Path.of(System.getProperty("java.io.tmpdir"),
                        "hsperfdata_" + System.getProperty("user.name"), Long.toString(pid));
                assertFalse(Files.exists(counters), name + " keeps " + counters);
            }
        }
    }

    /**
     * The master's class-data archive is made without the options its JVMs are given: made under
     * -Xshare:off (or a profiling agent) it failed, and the empty file that marks a failure kept every
     * later start of that build without one.
     */
    @Test
    void classDataArchiveIsMadeWhateverOptionsTheJvmsAreGiven() throws Exception {
        Path jsa = NodeAgent.HOME.resolve("mcp-master/target/mcp-master.jsa");
        Files.deleteIfExists(jsa); // as after a build: the next start makes it
        node = new NodeAgent(root).withEnvironment("JAVA_TOOL_OPTIONS", "-Xshare:off");
        node.up();
        assertTrue(Files.size(jsa) > 0, jsa + " is empty: its training run failed");
    }

    @Test
    void aSingleNodeIsInQuorumThroughItsEmbeddedZooKeeper() throws Exception {
        node = new NodeAgent(root);
        node.define("q", node.definition("q", true).replace("<service ", "<service options=\"require-quorum\" "));
        node.up();
        node.awaitRunning("q");
        JsonNode status = node.mcpctl("status", "--json").json();
        assertEquals("connected", status.path("zookeeper").asText(), status.toString());
        assertTrue(status.path("quorum").asBoolean(), status.toString());
        assertEquals("[\"1\"]", status.path("liveMembers").toString());
        assertTrue(java.nio.file.Files.list(root.resolve("var/zk")).findAny().isPresent(), "ZooKeeper data in var/zk");

        // The node's states as published in its member node, for the side-by-side view.
        NodeAgent.await(() -> "running".equals(node.mcpctl("services", "--cluster", "--json").json()
                .path("services").path(0).path("states").path("1").asText()),
                () -> "q running on node 1 in " + node.mcpctl("services", "--cluster", "--json").out());
    }

    @Test
    void serviceKilledWithSigkillRunsAgainUnderANewPid() throws Exception {
        long first = upWithRunningService();
        Os.linux().kill(first, Os.SIGKILL);
        NodeAgent.await(() -> "running".equals(node.state("svc")) && node.pid("svc") != first,
                () -> "svc to run under a new pid: " + node.service("svc"));
        assertEquals(1, node.service("svc").path("restarts").asInt());
    }

    @Test
    void masterKilledWithSigkillComesBackAndTheServiceKeepsItsPid() throws Exception {
        long service = upWithRunningService();
        long master = node.processPid(NodePaths.MASTER).orElseThrow();
        Os.linux().kill(master, Os.SIGKILL);
        NodeAgent.await(() -> node.processPid(NodePaths.MASTER).orElse(master) != master
                && "running".equals(node.state("svc")), () -> "a new master: " + node.agentOutput());
        assertEquals(service, node.pid("svc"), "adopted, not restarted");
        assertTrue(NodeAgent.alive(service));
    }

    @Test
    void forkerKilledWithSigkillComesBackAndCrashesAreStillRestarted() throws Exception {
        long first = upWithRunningService();
        long forker = node.processPid(NodePaths.FORKER).orElseThrow();
        Os.linux().kill(forker, Os.SIGKILL);
        NodeAgent.await(() -> node.processPid(NodePaths.FORKER).orElse(forker) != forker
                && NodeAgent.alive(node.processPid(NodePaths.FORKER).orElse(-1)), () -> "a new forker");
        assertTrue(NodeAgent.alive(first), "the service outlives its forker");
        Os.linux().kill(first, Os.SIGKILL);
        NodeAgent.await(() -> "running".equals(node.state("svc")) && node.pid("svc") != first,
                () -> "svc to run again through the new forker: " + node.service("svc"));
    }

    @Test
    void failsafeKilledTakesMasterAndForkerDownAndANewAgentAdoptsTheService() throws Exception {
        long service = upWithRunningService();
        long master = node.processPid(NodePaths.MASTER).orElseThrow();
        long forker = node.processPid(NodePaths.FORKER).orElseThrow();

        long killedAt = System.nanoTime();
        Os.linux().kill(node.agent().pid(), Os.SIGKILL);
        NodeAgent.await(() -> !NodeAgent.alive(master) && !NodeAgent.alive(forker), () -> "master and forker to exit");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertTrue(tookMillis < 2000, "master and forker exited " + tookMillis + " ms after the failsafe died");
        assertTrue(NodeAgent.alive(service), "the service survives its supervisors");
        assertEquals(3, node.mcpctl("services").exit(), "no master to answer");

        node.up();
        assertEquals(service, node.awaitRunning("svc"), "the new agent adopts the running service");
    }

    @Test
    void disableStopsAndEnableStartsThroughMcpctl() throws Exception {
        long pid = upWithRunningService();

        NodeAgent.Result off = node.mcpctl("services", "svc", "disable");
        assertEquals(0, off.exit(), off.err());
        NodeAgent.await(() -> "stopped".equals(node.state("svc")), () -> "svc to stop: " + node.service("svc"));
        assertFalse(NodeAgent.alive(pid));
        assertFalse(node.service("svc").path("enabled").asBoolean());

        NodeAgent.Result on = node.mcpctl("services", "svc", "enable");
        assertEquals(0, on.exit(), on.err());
        assertNotEquals(pid, node.awaitRunning("svc"));
    }

    @Test
    void sigtermStopsTheAgentCleanlyAndLeavesServicesRunning() throws Exception {
        long service = upWithRunningService();
        long master = node.processPid(NodePaths.MASTER).orElseThrow();
        Os.linux().kill(node.agent().pid(), Os.SIGTERM);
        assertTrue(node.agent().waitFor(NodeAgent.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, node.agent().exitValue());
        assertFalse(NodeAgent.alive(master));
        assertTrue(NodeAgent.alive(service));
    }

    @Test
    void unknownServiceIsAOneLineError() throws Exception {
        node = new NodeAgent(root);
        node.up();
        NodeAgent.Result r = node.mcpctl("services", "nosuch");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("nosuch"), r.err());
    }

    @Test
    void aBadClusterXmlMakesUpExitAtOnceSayingWhereAndNothingStaysRunning() throws Exception {
        node = NodeAgent.withClusterXml(root, """
                <cluster name="it">
                  <zookeeper connect="zk1:2181 zk2:2181"/>
                </cluster>
                """);
        Process agent = node.start();
        assertTrue(agent.waitFor(NodeAgent.DEADLINE.toSeconds(), TimeUnit.SECONDS), node.agentOutput());
        assertEquals(78, agent.exitValue(), node.agentOutput());
        String said = node.agentOutput().lines().reduce((a, b) -> b).orElse("");
        assertTrue(said.startsWith("mcp: mcp-master cannot start: exited with status 78: mcp-master: cluster "
                + "configuration: " + node.paths.clusterXml() + ":2: ZooKeeper connect 'zk1:2181 zk2:2181'"), said);
        NodeAgent.await(() -> node.processPid(NodePaths.FORKER).isEmpty(), () -> "the forker stopped");
    }

    @Test
    void anAlertReachesTheAlertCommandOfClusterXml() throws Exception {
        node = NodeAgent.withClusterXml(root, """
                <cluster name="it">
                  <zookeeper connect="embedded" port="%d"/>
                  <node id="7"/>
                  <alert command="echo $MCP_NODE_ID $MCP_ALERT_SOURCE $MCP_ALERT_KIND >> alerts.txt"/>
                </cluster>
                """.formatted(NodeAgent.freePort()));
        node.up();
        Files.writeString(node.paths.filesDir().resolve("broken.xml"), "<file path=\"override/x\">");
        Path alerts = root.resolve("alerts.txt");
        NodeAgent.await(() -> Files.exists(alerts), () -> "the alert command to run; events: "
                + node.mcpctl("events").out());
        assertEquals("7 mcp-master invalid", Files.readString(alerts).strip());
    }
}
