package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.THREE;
import static io.mcp.master.cluster.ClusterTesting.await;
import static io.mcp.master.cluster.ClusterTesting.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Quorum against a real three-server ZooKeeper ensemble. */
class EnsembleTest {
    private final Resources resources = new Resources();

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    @Test
    void losingTheEnsembleMajorityTakesEveryNodeOutOfQuorum() throws Exception {
        TestingCluster ensemble = resources.add(new TestingCluster(3));
        ensemble.start();
        String connect = ensemble.getConnectString();
        List<Events> events = new ArrayList<>();
        List<ClusterNode> nodes = new ArrayList<>();
        for (String id : THREE) {
            Events e = new Events(id);
            events.add(e);
            ClusterNode node = resources.add(new ClusterNode(config(id, THREE, connect), connect, e));
            node.start();
            nodes.add(node);
        }
        for (Events e : events) {
            e.expect(true);
        }
        for (ClusterNode n : nodes) {
            await("three live members", () -> n.liveMembers().equals(Set.of("1", "2", "3")));
        }

        // Two of three servers down: the last one stops serving, whichever clients were on it.
        List<InstanceSpec> killed = new ArrayList<>(ensemble.getInstances()).subList(0, 2);
        for (InstanceSpec server : killed) {
            ensemble.killServer(server);
        }
        for (Events e : events) {
            assertEquals(Set.of(), e.expect(false).liveMembers());
        }
        for (ClusterNode n : nodes) {
            assertFalse(n.inQuorum());
        }

        for (InstanceSpec server : killed) {
            ensemble.restartServer(server);
        }
        for (Events e : events) {
            e.expect(true);
        }
        for (ClusterNode n : nodes) {
            await("three live members again", () -> n.liveMembers().equals(Set.of("1", "2", "3")));
        }
    }
}
