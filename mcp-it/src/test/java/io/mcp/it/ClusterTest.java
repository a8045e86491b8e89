package io.mcp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mcp.core.os.Os;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three node agents ({@code bin/mcp up}) on one real ZooKeeper, driven by {@code bin/mcpctl}. */
class ClusterTest {
    @TempDir Path dir;
    private final List<NodeAgent> nodes = new ArrayList<>();
    private TestingServer zk;

    @AfterEach
    void cleanUp() throws Exception {
        nodes.forEach(NodeAgent::close);
        if (zk != null) {
            zk.close();
        }
    }

    private NodeAgent member(int id) throws Exception {
        NodeAgent node = NodeAgent.withClusterXml(dir.resolve("node" + id), """
                <cluster name="it">
                  <zookeeper connect="%s" session-timeout="2s"/>
                  <node id="%d"/>
                  <member id="1"/><member id="2"/><member id="3"/>
                </cluster>
                """.formatted(zk.getConnectString(), id));
        node.define("x", node.definition("x", false));
        node.define("q", node.definition("q", true).replace("<service ", "<service options=\"kill-on-sigquorum\" "));
        nodes.add(node);
        return node;
    }

    private static boolean inQuorum(NodeAgent node) {
        NodeAgent.Result r = node.mcpctl("status", "--json");
        return r.exit() == 0 && r.json().path("quorum").asBoolean();
    }

    private static void stop(NodeAgent node) throws Exception {
        Os.linux().kill(node.agent().pid(), Os.SIGTERM);
        if (!node.agent().waitFor(NodeAgent.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("node agent " + node.paths.root() + " did not stop");
        }
    }

    @Test
    void anEnableOnNodeTwoRunsEverywhereAndLosingQuorumStopsKillOnSigquorumUntilItReturns() throws Exception {
        zk = new TestingServer();
        NodeAgent one = member(1).up();
        NodeAgent two = member(2).up();
        NodeAgent three = member(3).up();
        for (NodeAgent node : nodes) {
            NodeAgent.await(() -> inQuorum(node), () -> node.paths.root() + " in quorum");
        }

        NodeAgent.Result enable = two.mcpctl("services", "x", "enable");
        assertEquals(0, enable.exit(), enable.err());
        for (NodeAgent node : nodes) {
            node.awaitRunning("x");
        }
        long q = three.awaitRunning("q");
        long x = three.pid("x");

        stop(one);
        stop(two);
        NodeAgent.await(() -> !inQuorum(three), () -> "node 3 out of quorum");
        NodeAgent.await(() -> "waiting".equals(three.state("q")), () -> "q waiting on node 3, is " + three.state("q"));
        assertFalse(NodeAgent.alive(q), "q stopped on losing quorum");
        assertEquals(x, three.pid("x"), "a service without quorum options keeps running");

        one.up();
        NodeAgent.await(() -> inQuorum(three), () -> "node 3 back in quorum");
        long again = three.awaitRunning("q");
        assertFalse(again == q, "q started again under a new pid");
    }
}
