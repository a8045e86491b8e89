package io.mcp.master.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mcp.core.cluster.ClusterConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.zookeeper.data.Stat;

/**
 * What the cluster tests share: every timeout (from here only), waiting with deadlines, a
 * listener that queues quorum events, and a closer that stops every server and client a test
 * started, in reverse order, even when the test failed.
 */
final class ClusterTesting {
    /** Short, so that outages play out quickly; the test servers accept sessions down to 1 s. */
    static final Duration SESSION = Duration.ofSeconds(2);
    /** The longest any awaited event may take; generous for a loaded two-core machine. */
    static final Duration WAIT = Duration.ofSeconds(30);
    /** How long a connection that must fail is given to succeed; a working one takes well under 1 s here. */
    static final Duration REFUSED = Duration.ofSeconds(3);
    static final String CLUSTER = "test";
    static final List<String> THREE = List.of("1", "2", "3");

    private ClusterTesting() {
    }

    static ClusterConfig config(String nodeId, List<String> members, String connect) {
        return new ClusterConfig(CLUSTER, nodeId, members, connect, SESSION, 2181, "127.0.0.1");
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@link #WAIT}. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + WAIT.toSeconds() + " s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** The session that owns a member's node, 0 when there is none. */
    static long ownerOf(ClusterNode observer, String nodeId) {
        try {
            Stat stat = observer.client().checkExists().forPath(observer.layout().member(nodeId));
            return stat == null ? 0 : stat.getEphemeralOwner();
        } catch (Exception e) {
            return 0;
        }
    }

    static long sessionOf(ClusterNode node) {
        try {
            return node.client().getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return -1;
        }
    }

    /** One quorum change as a listener saw it. */
    record Event(boolean inQuorum, Set<String> liveMembers, long atNanos) {
    }

    /** A {@link ClusterListener} that queues what it is told, for assertions in order. */
    static final class Events implements ClusterListener {
        private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        final String name;

        Events(String name) {
            this.name = name;
        }

        @Override
        public void quorumChanged(boolean inQuorum, Set<String> liveMembers) {
            queue.add(new Event(inQuorum, liveMembers, System.nanoTime()));
        }

        /** The next event, which must say {@code inQuorum}. */
        Event expect(boolean inQuorum) throws InterruptedException {
            return expect(inQuorum, WAIT);
        }

        Event expect(boolean inQuorum, Duration within) throws InterruptedException {
            Event e = queue.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            if (e == null) {
                fail(name + ": no quorum event within " + within.toMillis() + " ms, expected inQuorum=" + inQuorum);
            }
            assertEquals(inQuorum, e.inQuorum(), name + ": " + e);
            return e;
        }

        void expectNone() {
            assertTrue(queue.isEmpty(), name + ": unexpected events " + queue);
        }
    }

    /** Closes what a test started, last first, and reports the first failure. */
    static final class Resources implements AutoCloseable {
        private final Deque<AutoCloseable> started = new ArrayDeque<>();

        <T extends AutoCloseable> T add(T resource) {
            started.push(resource);
            return resource;
        }

        @Override
        public void close() throws Exception {
            Exception first = null;
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }
}
