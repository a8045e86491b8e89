package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.SESSION;
import static io.mcp.master.cluster.ClusterTesting.THREE;
import static io.mcp.master.cluster.ClusterTesting.WAIT;
import static io.mcp.master.cluster.ClusterTesting.await;
import static io.mcp.master.cluster.ClusterTesting.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.digest.Md5;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster's master mlist in ZooKeeper, kept under the coordinator lock, on one real server. */
class MasterMlistTest {
    private final Resources resources = new Resources();
    private TestingServer server;
    @TempDir
    Path tmp;

    /** One node: its root, cluster session, sync and master mlist keeper. */
    final class Node implements AutoCloseable {
        final String id;
        final NodePaths paths;
        ClusterNode cluster;
        OverrideSync sync;
        MasterMlist mlist;

        Node(String id) {
            this.id = id;
            this.paths = new NodePaths(tmp.resolve("node" + id)).ensureLayout();
        }

        Node start() throws Exception {
            String connect = server.getConnectString();
            EventLog events = new EventLog(paths.eventsLog(), Clock.systemUTC());
            cluster = new ClusterNode(config(id, THREE, connect), connect, new Events(id));
            cluster.start();
            sync = new OverrideSync(paths, cluster, events, Clock.systemUTC());
            mlist = new MasterMlist(cluster, Clock.systemUTC());
            sync.setPublishListener(mlist);
            mlist.start();
            sync.start();
            await("node " + id + " in sync", sync::inSync);
            // Its repair of the master mlist done: a later change is recorded by its publisher only.
            await("node " + id + "'s master mlist repaired", mlist::idle);
            return this;
        }

        Path file(String rel) {
            return paths.overrideDir().resolve(rel);
        }

        boolean has(String rel, byte[] content) {
            try {
                return Arrays.equals(Files.readAllBytes(file(rel)), content);
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() {
            if (sync != null) {
                sync.close();
            }
            if (mlist != null) {
                mlist.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @BeforeEach
    void startServer() throws Exception {
        server = resources.add(new TestingServer());
    }

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    private Node node(String id) throws Exception {
        return resources.add(new Node(id)).start();
    }

    private CuratorFramework rawClient() {
        CuratorFramework c = resources.add(CuratorFrameworkFactory.newClient(server.getConnectString(),
                (int) SESSION.toMillis(), (int) SESSION.toMillis(), new RetryOneTime(100)));
        c.start();
        return c;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    private static Map<String, Mlist.Entry> master(Node n) {
        try {
            return n.mlist.read(WAIT).entries();
        } catch (MasterMlist.UnavailableException e) {
            throw new AssertionError(e);
        }
    }

    /** What the override znodes hold: md5 and version by relative path, as an mlist. */
    private static Map<String, Mlist.Entry> truth(Node n) throws Exception {
        Map<String, Mlist.Entry> out = new TreeMap<>();
        CuratorFramework c = n.cluster.client();
        for (String child : c.getChildren().forPath(n.cluster.layout().overridesPath())) {
            Stat stat = new Stat();
            byte[] data = c.getData().storingStatIn(stat).forPath(n.cluster.layout().overridesPath() + "/" + child);
            Mlist.Entry e = new Mlist.Entry();
            e.path = ZkLayout.decodeOverride(child);
            e.md5 = Md5.of(data);
            e.revision = stat.getVersion();
            out.put(e.path, e);
        }
        return out;
    }

    private static boolean matchesTruth(Node n) {
        try {
            return MasterMlist.sameEntries(master(n), truth(n));
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aPublishAndADeletionOnAnotherNodeAreRecordedUnderTheCoordinatorLockWithoutDelayingPropagation()
            throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        InterProcessMutex held = new InterProcessMutex(rawClient(), n1.cluster.layout().coordinatorLock());

        held.acquire();
        byte[] content = bytes("<setting a=\"1\"/>\n");
        write(n1.file("settings.xml"), content);
        await("settings.xml on node 2 while the lock is held", () -> n2.has("settings.xml", content));
        await("node 1 waits for the lock", () -> participants(held) == 2);
        assertNull(master(n1).get("settings.xml"), "not written without the lock");
        held.release();
        await("the master mlist has settings.xml", () -> master(n2).containsKey("settings.xml"));
        Mlist.Entry e = master(n2).get("settings.xml");
        assertEquals(Md5.of(content), e.md5);
        assertEquals(0, e.revision);
        assertEquals(ClusterTesting.CLUSTER, e.cluster);
        assertEquals("1", e.node);
        assertTrue(e.timestamp > 0);
        // Counted just after the write that readers may already see.
        await("node 1 counted its write", () -> n1.mlist.writes() == 1);
        assertEquals(0, n2.mlist.writes(), "node 2 applied it; it did not write the master mlist");

        // Same for a deletion made on node 2.
        held.acquire();
        Files.delete(n2.file("settings.xml"));
        await("deleted on node 1 while the lock is held", () -> !Files.exists(n1.file("settings.xml")));
        await("node 2 waits for the lock", () -> participants(held) == 2);
        assertNotNull(master(n1).get("settings.xml"), "not removed without the lock");
        held.release();
        await("the master mlist forgets settings.xml", () -> !master(n1).containsKey("settings.xml"));
        await("node 2 counted its write", () -> n2.mlist.writes() == 1);
        assertEquals(1, n1.mlist.writes());

        // The document is the local mlist's XML.
        String xml = new String(n1.cluster.client().getData().forPath(n1.cluster.layout().mlistPath()),
                StandardCharsets.UTF_8);
        assertTrue(xml.contains("<mlist"), xml);
    }

    private static int participants(InterProcessMutex lock) {
        try {
            return lock.getParticipantNodes().size();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void concurrentPublishesOnThreeNodesEndWithOneMasterMlistMatchingTheZnodes() throws Exception {
        List<Node> nodes = List.of(node("1"), node("2"), node("3"));
        write(nodes.get(0).file("shared.xml"), bytes("base"));
        await("shared.xml everywhere", () -> nodes.stream().allMatch(n -> n.has("shared.xml", bytes("base"))));
        // Every sync thread held while every node changes files: when released, all publish at once.
        CountDownLatch release = new CountDownLatch(1);
        nodes.forEach(n -> n.sync.holdUntil(release));
        for (Node n : nodes) {
            write(n.file("shared.xml"), bytes("edit from node " + n.id));
            for (int i = 0; i < 5; i++) {
                write(n.file("own/" + n.id + "-" + i + ".conf"), bytes("node " + n.id + " file " + i));
            }
        }
        release.countDown();
        await("every node holds the same files", () -> {
            for (Node n : nodes) {
                for (Node m : nodes) {
                    for (int i = 0; i < 5; i++) {
                        if (!n.has("own/" + m.id + "-" + i + ".conf", bytes("node " + m.id + " file " + i))) {
                            return false;
                        }
                    }
                }
            }
            return true;
        });
        await("the master mlist matches the override znodes", () -> nodes.stream()
                .allMatch(n -> n.mlist.idle()) && matchesTruth(nodes.get(0)));
        assertEquals(16, master(nodes.get(0)).size());
        for (Mlist.Entry e : master(nodes.get(0)).values()) {
            assertTrue(List.of("1", "2", "3").contains(e.node), e.path + " by " + e.node);
        }
        // Each node recorded its own files.
        assertEquals("2", master(nodes.get(0)).get("own/2-3.conf").node);
    }

    @Test
    void aNodeThatPublishedAndCrashedBeforeItsUpdateIsRepairedOnReconnection() throws Exception {
        Node n1 = node("1");
        // Node 1's master mlist keeper is gone (as in a crash right after the znode write).
        n1.mlist.close();
        CuratorFramework raw = rawClient();
        ZkLayout layout = n1.cluster.layout();
        // A stale and a hostile entry, written as by a buggy or malicious client.
        raw.create().creatingParentsIfNeeded().forPath(layout.mlistPath(), bytes("""
                <mlist>
                  <file path="gone.txt" md5="0123456789abcdef0123456789abcdef" timestamp="1" revision="3" cluster="test"/>
                  <file path="../../etc/passwd" md5="0123456789abcdef0123456789abcdef" timestamp="1" revision="0" cluster="test"/>
                </mlist>
                """));
        assertEquals(List.of("gone.txt"), List.copyOf(n1.mlist.parse(raw.getData().forPath(layout.mlistPath()))
                .keySet()), "the hostile path is refused on reading");
        byte[] content = bytes("published, never recorded");
        write(n1.file("orphan.txt"), content);
        await("orphan.txt published", () -> {
            try {
                return raw.checkExists().forPath(layout.overrideFile("orphan.txt")) != null;
            } catch (Exception e) {
                return false;
            }
        });

        Node n2 = node("2"); // its first reconcile repairs
        await("the master mlist repaired", () -> matchesTruth(n2) && n2.mlist.idle());
        Map<String, Mlist.Entry> m = master(n2);
        assertEquals(List.of("orphan.txt"), List.copyOf(m.keySet()));
        assertEquals("2", m.get("orphan.txt").node, "written by the node that repaired it");
        String xml = new String(raw.getData().forPath(layout.mlistPath()), StandardCharsets.UTF_8);
        assertFalse(xml.contains("passwd"), xml);
        assertEquals(1, n2.mlist.writes());
    }
}
