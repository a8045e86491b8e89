package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedZooKeeperTest {
    @TempDir Path root;
    private final Resources resources = new Resources();

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    @Test
    void servesAClusterNodeAndKeepsItsDataAcrossRestarts() throws Exception {
        Path data = new NodePaths(root).zkDataDir();
        EmbeddedZooKeeper zk = resources.add(EmbeddedZooKeeper.start(data, "127.0.0.1", 0));
        assertTrue(zk.connectString().startsWith("127.0.0.1:"), zk.connectString());
        assertTrue(zk.port() > 0);
        assertFalse(zk.startTime().isNegative());

        Events events = new Events("single");
        ClusterNode node = resources.add(new ClusterNode(config("1", List.of("1"), zk.connectString()),
                zk.connectString(), events));
        node.start();
        assertEquals(Set.of("1"), events.expect(true).liveMembers());
        byte[] mlist = "<mlist/>".getBytes(StandardCharsets.UTF_8);
        node.client().create().creatingParentsIfNeeded().forPath(node.layout().mlistPath(), mlist);
        node.close();
        zk.close();
        assertTrue(Files.isDirectory(data.resolve("version-2")), "data under var/zk");

        EmbeddedZooKeeper again = resources.add(EmbeddedZooKeeper.start(data, "127.0.0.1", 0));
        Events events2 = new Events("single-again");
        ClusterNode node2 = resources.add(new ClusterNode(config("1", List.of("1"), again.connectString()),
                again.connectString(), events2));
        node2.start();
        events2.expect(true);
        assertArrayEquals(mlist, node2.client().getData().forPath(node2.layout().mlistPath()));
    }

    @Test
    void aTakenPortIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            IOException e = assertThrows(IOException.class,
                    () -> resources.add(EmbeddedZooKeeper.start(root.resolve("zk"), "127.0.0.1", taken.getLocalPort())));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        // nothing was left half-started: the data directory can serve at once
        resources.add(EmbeddedZooKeeper.start(root.resolve("zk"), "127.0.0.1", 0));
    }
}
