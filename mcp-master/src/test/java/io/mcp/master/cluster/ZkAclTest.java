package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.CLUSTER;
import static io.mcp.master.cluster.ClusterTesting.SESSION;
import static io.mcp.master.cluster.ClusterTesting.THREE;
import static io.mcp.master.cluster.ClusterTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Arrays;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With {@code <zookeeper digest-file>}, the cluster's znodes are the business of its own nodes only. */
class ZkAclTest {
    private final Resources resources = new Resources();
    @TempDir Path tmp;

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    private Path digestFile(String credentials) throws Exception {
        Path file = tmp.resolve("zk.digest");
        Files.writeString(file, credentials + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private CuratorFramework client(String connect, String digest) {
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(connect)
                .retryPolicy(new RetryOneTime(100));
        if (digest != null) {
            b.authorization("digest", digest.getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework c = resources.add(b.build());
        c.start();
        return c;
    }

    @Test
    void nodesSharingTheDigestPropagateAndNoOneElseCanReadOrWrite() throws Exception {
        TestingServer server = resources.add(new TestingServer());
        String connect = server.getConnectString();
        Path digest = digestFile("mcp:s3cret");
        OverrideSync[] syncs = new OverrideSync[2];
        NodePaths[] paths = new NodePaths[2];
        for (int i = 0; i < 2; i++) {
            String id = String.valueOf(i + 1);
            paths[i] = new NodePaths(tmp.resolve("node" + id)).ensureLayout();
            ClusterNode node = resources.add(new ClusterNode(new ClusterConfig(CLUSTER, id, THREE, connect, SESSION,
                    2181, "127.0.0.1", digest), connect, new Events(id)));
            node.start();
            syncs[i] = resources.add(new OverrideSync(paths[i], node,
                    new EventLog(paths[i].eventsLog(), Clock.systemUTC()), Clock.systemUTC()));
            syncs[i].start();
        }
        await("both in sync", () -> syncs[0].inSync() && syncs[1].inSync());
        byte[] content = "shared = yes\n".getBytes(StandardCharsets.UTF_8);
        Files.write(paths[0].overrideDir().resolve("app.conf"), content);
        await("app.conf on node 2", () -> Arrays.equals(content, read(paths[1].overrideDir().resolve("app.conf"))));

        ZkLayout layout = new ZkLayout(CLUSTER);
        String znode = layout.overrideFile("app.conf");
        for (String credentials : new String[] {null, "mcp:wrong"}) {
            CuratorFramework other = client(connect, credentials);
            assertThrows(KeeperException.NoAuthException.class, () -> other.getData().forPath(znode), credentials);
            assertThrows(KeeperException.NoAuthException.class,
                    () -> other.setData().forPath(znode, "evil".getBytes(StandardCharsets.UTF_8)), credentials);
            assertThrows(KeeperException.NoAuthException.class,
                    () -> other.create().forPath(layout.overridesPath() + "/evil.conf"), credentials);
            assertThrows(KeeperException.NoAuthException.class,
                    () -> other.getChildren().forPath(layout.membersPath()), credentials);
            // The shared root stays open for other clusters of the same ensemble.
            other.create().forPath(ZkLayout.ROOT + "/another-cluster-" + (credentials == null ? "open" : "other"));
        }
        CuratorFramework same = client(connect, "mcp:s3cret");
        assertArrayEquals(content, same.getData().forPath(znode));
        assertEquals(Set.of("1", "2"), Set.copyOf(same.getChildren().forPath(layout.membersPath())));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
