package io.mcp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.master.cluster.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mcpctl mlist} and the overrides line of {@code mcpctl status}, through a real node agent
 * on a ZooKeeper server that the test stops and starts.
 */
class MlistTest {
    @TempDir Path root;
    private NodeAgent node;
    private TestingServer zk;
    private CuratorFramework raw;

    @AfterEach
    void cleanUp() throws Exception {
        if (raw != null) {
            raw.close();
        }
        if (node != null) {
            node.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    private static String md5(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private JsonNode mlist() {
        return node.mcpctl("mlist", "--json").json();
    }

    /** The entry of {@code path} in the {@code local} or {@code master} list of a report, else a missing node. */
    private static JsonNode entry(JsonNode report, String list, String path) {
        for (JsonNode e : report.path(list)) {
            if (path.equals(e.path("path").asText())) {
                return e;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static String differences(JsonNode report) {
        StringBuilder b = new StringBuilder();
        for (JsonNode d : report.path("differences")) {
            b.append(d.path("path").asText()).append('=').append(d.path("kind").asText()).append(' ');
        }
        return b.toString().trim();
    }

    @Test
    void mlistShowsBothMlistsTheirDifferencesAndLocalEditsMadeWhileZooKeeperIsDown() throws Exception {
        zk = new TestingServer();
        node = NodeAgent.onZooKeeper(root, zk.getConnectString());
        node.up();
        NodeAgent.await(() -> node.mcpctl("status", "--json").json().path("overridesInSync").asBoolean(),
                () -> "overrides in sync: " + node.mcpctl("status").out());
        assertTrue(node.mcpctl("status").out().contains("Overrides:    in sync"), node.mcpctl("status").out());

        Path settings = node.paths.overrideDir().resolve("settings.xml");
        Files.writeString(settings, "a");
        NodeAgent.await(() -> mlist().path("agree").asBoolean() && entry(mlist(), "master", "settings.xml").isObject(),
                () -> "settings.xml in both mlists: " + node.mcpctl("mlist").out());
        JsonNode report = mlist();
        for (String field : new String[] {"cluster", "node", "local", "unpublished", "clusterAvailable", "clusterError",
                "master", "differences", "agree"}) {
            assertTrue(report.has(field), field + " in " + report);
        }
        assertEquals(md5("a"), entry(report, "local", "settings.xml").path("md5").asText());
        assertEquals("same", entry(report, "local", "settings.xml").path("disk").asText());
        assertEquals("1", entry(report, "master", "settings.xml").path("node").asText());
        assertEquals(0, entry(report, "master", "settings.xml").path("revision").asInt(-1));
        NodeAgent.Result text = node.mcpctl("mlist");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("Local and cluster mlists agree."), text.out());

        // Another node publishes and dies before recording it in the master mlist: this node applies
        // the changes, and its local mlist is ahead of the cluster's.
        raw = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        raw.start();
        ZkLayout layout = new ZkLayout("it");
        raw.setData().forPath(layout.overrideFile("settings.xml"), "b".getBytes(StandardCharsets.UTF_8));
        raw.create().forPath(layout.overrideFile("other.txt"), "o".getBytes(StandardCharsets.UTF_8));
        NodeAgent.await(() -> differences(mlist()).equals("other.txt=only-local settings.xml=md5"),
                () -> "differences: " + node.mcpctl("mlist").out());
        text = node.mcpctl("mlist");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("Differences:\n  other.txt: only in the local mlist (local "), text.out());
        assertTrue(text.out().contains("  settings.xml: md5 differs (local " + md5("b").substring(0, 12) + " rev 1,"
                + " cluster " + md5("a").substring(0, 12) + " rev 0)"), text.out());

        // ZooKeeper down: the local side only, with the edit made meanwhile as pending.
        zk.stop();
        NodeAgent.await(() -> !"connected".equals(node.mcpctl("status", "--json").json().path("zookeeper").asText()),
                () -> "the master to notice the outage");
        Files.writeString(settings, "edited while ZooKeeper was down");
        NodeAgent.Result down = node.mcpctl("mlist");
        assertEquals(1, down.exit(), down.out());
        assertEquals(1, down.err().strip().lines().count(), down.err());
        assertTrue(down.err().startsWith("mcpctl: the cluster's mlist is unavailable: ZooKeeper is "), down.err());
        assertTrue(down.out().contains("settings.xml: modified on disk since its mlist entry"), down.out());
        NodeAgent.Result downJson = node.mcpctl("mlist", "--json");
        assertEquals(1, downJson.exit());
        assertEquals(false, downJson.json().path("clusterAvailable").asBoolean(true));
        assertEquals("modified", entry(downJson.json(), "local", "settings.xml").path("disk").asText());
        assertTrue(node.mcpctl("status").out().contains("Overrides:    not in sync"), node.mcpctl("status").out());

        // Back: the edit is published, and the reconcile repairs what the dead node left behind.
        zk.restart();
        String edited = md5("edited while ZooKeeper was down");
        NodeAgent.await(() -> {
            JsonNode r = mlist();
            return r.path("agree").asBoolean() && edited.equals(entry(r, "master", "settings.xml").path("md5").asText())
                    && entry(r, "master", "other.txt").isObject();
        }, () -> "agreement after the outage: " + node.mcpctl("mlist").out());
        assertEquals("same", entry(mlist(), "local", "settings.xml").path("disk").asText());
    }
}
