package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.SESSION;
import static io.mcp.master.cluster.ClusterTesting.THREE;
import static io.mcp.master.cluster.ClusterTesting.WAIT;
import static io.mcp.master.cluster.ClusterTesting.await;
import static io.mcp.master.cluster.ClusterTesting.config;
import static io.mcp.master.cluster.ClusterTesting.ownerOf;
import static io.mcp.master.cluster.ClusterTesting.sessionOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.event.EventLog;
import io.mcp.master.cluster.ClusterTesting.Event;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Membership and quorum against one real ZooKeeper server. */
class ClusterNodeTest {
    private final Resources resources = new Resources();
    private TestingServer server;
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    @BeforeEach
    void startServer() throws Exception {
        server = resources.add(new TestingServer());
    }

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    private ClusterNode node(String id, List<String> members, Events events) {
        return node(id, members, events, null);
    }

    private ClusterNode node(String id, List<String> members, Events events, EventLog log) {
        String connect = server.getConnectString();
        ClusterNode node = resources.add(new ClusterNode(config(id, members, connect), connect, events, log));
        node.start();
        return node;
    }

    private static List<io.mcp.core.event.Event> alerts(EventLog log) {
        try {
            return log.tail(100).stream().filter(e -> "duplicate".equals(e.kind())).toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    @Test
    void aSecondMasterWithTheSameNodeIdIsReportedAndKeptOutOfQuorumWithoutAFight() throws Exception {
        EventLog ownerLog = new EventLog(tmp.resolve("owner.jsonl"), Clock.systemUTC());
        EventLog duplicateLog = new EventLog(tmp.resolve("duplicate.jsonl"), Clock.systemUTC());
        Events e1 = new Events("1");
        Events e2 = new Events("2");
        Events dup = new Events("1-duplicate");
        ClusterNode n1 = node("1", THREE, e1, ownerLog);
        ClusterNode n2 = node("2", THREE, e2);
        e1.expect(true);
        e2.expect(true);
        n1.publishServices(Map.of("webd", "running"));
        String ownerSession = Long.toHexString(sessionOf(n1));
        await("2 sees 1's services", () -> n2.memberStatuses().containsKey("1")
                && n2.memberStatuses().get("1").services().equals(Map.of("webd", "running")));
        String memberPath = n1.layout().member("1");
        long created = n2.client().checkExists().forPath(memberPath).getCzxid();

        ClusterNode n1b = node("1", THREE, dup, duplicateLog);
        await("the duplicate names the owner", () -> n1b.duplicate().isPresent()
                && n1b.duplicate().get().host() != null && !alerts(duplicateLog).isEmpty());
        ClusterNode.Duplicate d = n1b.duplicate().orElseThrow();
        assertEquals(ownerSession, d.session());
        assertEquals(ProcessHandle.current().pid(), d.pid());
        io.mcp.core.event.Event alert = alerts(duplicateLog).get(0);
        assertEquals("alert", alert.level());
        assertTrue(alert.message().contains("node id 1") && alert.message().contains("PID " + d.pid())
                && alert.message().contains(ownerSession), alert.message());
        // The owner saw the duplicate's status written into its node, said so, and wrote its own back.
        String duplicateSession = Long.toHexString(sessionOf(n1b));
        await("the owner's alert", () -> alerts(ownerLog).stream().anyMatch(e -> e.message().contains(duplicateSession)));
        await("the owner's status back in the node", () -> n2.memberStatuses().containsKey("1")
                && n2.memberStatuses().get("1").session().equals(ownerSession));
        for (ClusterNode n : List.of(n1, n1b, n2)) {
            n.awaitQuiet(WAIT);
        }
        assertFalse(n1b.inQuorum());
        dup.expectNone(); // never in quorum, not even for a moment
        assertTrue(n1.inQuorum());
        e1.expectNone();
        // No fight: the node was never re-created, and it is not being rewritten.
        assertEquals(created, n2.client().checkExists().forPath(memberPath).getCzxid());
        assertEquals(sessionOf(n1), ownerOf(n2, "1"));
        int version = n2.client().checkExists().forPath(memberPath).getVersion();
        assertTrue(version <= 4, "member node written " + version + " times");
        for (ClusterNode n : List.of(n1, n1b, n2)) {
            n.awaitQuiet(WAIT);
        }
        assertEquals(version, n2.client().checkExists().forPath(memberPath).getVersion());
        assertEquals(1, alerts(duplicateLog).size(), alerts(duplicateLog).toString());
        assertEquals(1, alerts(ownerLog).size(), alerts(ownerLog).toString());

        // The owner leaves: the other master takes the node id over and joins quorum.
        n1.close();
        dup.expect(true);
        assertTrue(n1b.duplicate().isEmpty());
        await("the node id owned by the former duplicate", () -> ownerOf(n2, "1") == sessionOf(n1b));
    }

    private CuratorFramework rawClient() {
        CuratorFramework c = resources.add(CuratorFrameworkFactory.newClient(server.getConnectString(),
                (int) SESSION.toMillis(), (int) SESSION.toMillis(), new RetryOneTime(100)));
        c.start();
        return c;
    }

    @Test
    void threeNodesShareQuorumUntilTwoLeave() throws Exception {
        Events e1 = new Events("1");
        Events e2 = new Events("2");
        Events e3 = new Events("3");
        ClusterNode n1 = node("1", THREE, e1);
        ClusterNode n2 = node("2", THREE, e2);
        ClusterNode n3 = node("3", THREE, e3);
        for (Events e : List.of(e1, e2, e3)) {
            // A majority of the declared members, which need not include this node's own member
            // node yet: a connected node sees the others' before its own may have appeared.
            Event in = e.expect(true);
            assertTrue(in.liveMembers().size() >= 2, in.toString());
        }
        for (ClusterNode n : List.of(n1, n2, n3)) {
            await("every node sees three live members", () -> n.liveMembers().equals(Set.of("1", "2", "3")));
            assertTrue(n.inQuorum());
            assertEquals("connected", n.connectionState());
        }

        n1.close();
        n1.close(); // idempotent
        assertEquals("closed", n1.connectionState());
        assertThrows(IllegalStateException.class, n1::start);
        await("3 sees 1 leave", () -> n3.liveMembers().equals(Set.of("2", "3")));
        assertTrue(n3.inQuorum(), "two of three is quorum");
        n2.close();
        assertEquals(Set.of("3"), e3.expect(false).liveMembers());
        assertFalse(n3.inQuorum());

        Events again = new Events("1-again");
        node("1", THREE, again);
        assertEquals(Set.of("1", "3"), e3.expect(true).liveMembers());
        assertEquals(Set.of("1", "3"), again.expect(true).liveMembers());
        n3.awaitQuiet(WAIT);
        e3.expectNone();
    }

    @Test
    void aMemberMustStayAwayForTheSettleTimeToCostQuorum() throws Exception {
        // Node 1 runs; member 2 is a bare ephemeral node, so the test controls when it goes and comes back.
        Events e1 = new Events("1");
        CuratorFramework raw = rawClient();
        ClusterNode n1 = node("1", THREE, e1);
        String two = n1.layout().member("2");
        raw.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(two);
        e1.expect(true);

        raw.delete().forPath(two);
        await("1 sees 2 gone", () -> n1.liveMembers().equals(Set.of("1")));
        assertTrue(n1.inQuorum(), "still in quorum while the loss settles");
        raw.create().withMode(CreateMode.EPHEMERAL).forPath(two);
        await("1 sees 2 back", () -> n1.liveMembers().equals(Set.of("1", "2")));
        n1.awaitQuiet(WAIT);
        e1.expectNone();

        // Before the delete: ZooKeeper tells the watchers before it answers the deleting client.
        long gone = System.nanoTime();
        raw.delete().forPath(two);
        Event out = e1.expect(false);
        assertTrue(out.atNanos() - gone >= ClusterNode.MEMBER_SETTLE.toNanos(),
                "out of quorum after " + (out.atNanos() - gone) / 1_000_000 + " ms");
    }

    @Test
    void serverOutageTakesEveryoneOutWithinTheSessionTimeout() throws Exception {
        List<Events> events = List.of(new Events("1"), new Events("2"), new Events("3"));
        List<ClusterNode> nodes = List.of(node("1", THREE, events.get(0)), node("2", THREE, events.get(1)),
                node("3", THREE, events.get(2)));
        for (Events e : events) {
            e.expect(true);
        }

        server.stop();
        long stopped = System.nanoTime();
        for (Events e : events) {
            Event out = e.expect(false, SESSION.plusSeconds(1)); // the deadline that counts is checked below
            assertTrue(out.atNanos() - stopped <= SESSION.toNanos(),
                    e.name + " left quorum " + (out.atNanos() - stopped) / 1_000_000 + " ms after the outage");
            assertEquals(Set.of(), out.liveMembers());
        }
        for (ClusterNode n : nodes) {
            assertFalse(n.inQuorum());
            await("node sees the outage", () -> !n.connectionState().equals("connected"));
        }

        // Back after the sessions expired: every node gets a new session and re-creates its member node.
        await("sessions lost", () -> nodes.stream().allMatch(n -> n.connectionState().equals("lost")));
        server.restart();
        for (Events e : events) {
            e.expect(true);
        }
        awaitSettled(nodes);
        for (ClusterNode n : nodes) {
            assertEquals(Set.of("1", "2", "3"), n.liveMembers());
            assertTrue(n.inQuorum());
        }
        for (Events e : events) {
            e.expectNone();
        }
    }

    @Test
    void anExpiredSessionIsReplacedAndTheMemberNodeComesBack() throws Exception {
        Events e1 = new Events("1");
        Events e2 = new Events("2");
        ClusterNode n1 = node("1", THREE, e1);
        ClusterNode n2 = node("2", THREE, e2);
        e1.expect(true);
        e2.expect(true);
        n1.publishServices(Map.of("webd", "running"));
        await("2 sees 1's services", () -> n2.memberStatuses().containsKey("1")
                && n2.memberStatuses().get("1").services().equals(Map.of("webd", "running")));
        long before = sessionOf(n1);

        KillSession.kill(n1.client().getZookeeperClient().getZooKeeper());
        assertEquals(Set.of(), e1.expect(false).liveMembers());
        e1.expect(true);
        assertTrue(sessionOf(n1) != before, "a new session");
        // The old session's node goes when the server expires it; the new session re-creates it, same status.
        awaitSettled(List.of(n1, n2));
        MemberStatus seen = n2.memberStatuses().get("1");
        assertEquals(Long.toHexString(sessionOf(n1)), seen.session());
        assertEquals(Map.of("webd", "running"), seen.services());
        assertEquals(ProcessHandle.current().pid(), seen.pid());
        e1.expectNone();
        e2.expectNone(); // 2 never lost quorum: 1's node was gone for a moment only
    }

    @Test
    void aNodeStartsWithZooKeeperDownAndJoinsWhenItComesUp() throws Exception {
        server.stop();
        Events e1 = new Events("1");
        ClusterNode n1 = node("1", List.of("1"), e1);
        assertEquals("connecting", n1.connectionState());
        n1.publishServices(Map.of("a", "waiting"));
        assertFalse(n1.inQuorum());
        server.restart();
        assertEquals(Set.of("1"), e1.expect(true).liveMembers());
        await("status published once the node exists", () -> n1.memberStatuses().containsKey("1")
                && n1.memberStatuses().get("1").services().equals(Map.of("a", "waiting")));
    }

    /**
     * Waits until every node's member node is owned by its current session and every node has
     * seen that, so that no re-creation is still under way.
     */
    private static void awaitSettled(List<ClusterNode> nodes) throws Exception {
        for (ClusterNode n : nodes) {
            String id = n.config().nodeId();
            await(id + "'s member node owned by its session", () -> ownerOf(n, id) == sessionOf(n));
        }
        for (ClusterNode observer : nodes) {
            for (ClusterNode n : nodes) {
                String id = n.config().nodeId();
                String session = Long.toHexString(sessionOf(n));
                await(observer.config().nodeId() + " sees " + id + "'s new session", () -> {
                    MemberStatus s = observer.memberStatuses().get(id);
                    return s != null && s.session().equals(session);
                });
            }
            observer.awaitQuiet(WAIT);
        }
    }
}
