package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.REFUSED;
import static io.mcp.master.cluster.ClusterTesting.WAIT;
import static io.mcp.master.cluster.ClusterTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.cluster.ClusterConfig.Overrides;
import io.mcp.core.testing.TlsStores;
import io.mcp.core.xml.XmlException;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.server.NettyServerCnxnFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code <zookeeper tls-truststore tls-keystore tls-password-file>}, a node reaches an
 * external ensemble over TLS only. The server is a real ZooKeeper with a secure client port
 * (and, as ZooKeeper always has, a plain one), both ends using one self-signed certificate for
 * 127.0.0.1, so the client checks the server's certificate and the server the client's.
 */
class ZkTlsTest {
    private static final String PASSWORD = "s3cret-pw";
    @TempDir static Path certs;
    private static TlsStores stores;

    private final Resources resources = new Resources();
    @TempDir Path tmp;
    /** ZooKeeper's server takes its TLS settings from system properties: put back as they were after each test. */
    private Properties systemProperties;
    private TestingServer server;
    private String secureConnect;

    @BeforeAll
    static void makeCertificate() throws Exception {
        stores = TlsStores.create(certs.resolve("node"), PASSWORD);
    }

    @BeforeEach
    void startServer() throws Exception {
        systemProperties = (Properties) System.getProperties().clone();
        int securePort = InstanceSpec.getRandomPort();
        Map<String, Object> properties = new HashMap<>();
        properties.put("secureClientPort", Integer.toString(securePort)); // a String: the server stores them as Properties
        properties.put("serverCnxnFactory", NettyServerCnxnFactory.class.getName());
        properties.put("ssl.keyStore.location", stores.keystore().toString());
        properties.put("ssl.keyStore.password", PASSWORD);
        properties.put("ssl.trustStore.location", stores.truststore().toString());
        properties.put("ssl.trustStore.password", PASSWORD);
        server = resources.add(new TestingServer(new InstanceSpec(tmp.resolve("zk").toFile(), -1, -1, -1, true, -1,
                -1, -1, properties, "127.0.0.1"), true));
        secureConnect = "127.0.0.1:" + securePort;
    }

    @AfterEach
    void stopServer() throws Exception {
        try {
            resources.close();
        } finally {
            System.setProperties(systemProperties);
        }
    }

    private Path clusterXml(String nodeId, String tlsAttributes) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("node" + nodeId));
        return Files.writeString(dir.resolve("cluster.xml"), """
                <cluster name="test">
                  <zookeeper connect="%s" session-timeout="2s" %s/>
                  <node id="%s"/>
                  <member id="1"/><member id="2"/>
                </cluster>
                """.formatted(secureConnect, tlsAttributes, nodeId));
    }

    private String tlsAttributes(Path passwordFile) {
        return "tls-truststore=\"" + stores.truststore() + "\" tls-keystore=\"" + stores.keystore()
                + "\" tls-password-file=\"" + passwordFile + "\"";
    }

    private CuratorFramework plainClient(String connect) {
        CuratorFramework c = resources.add(CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(2000).connectionTimeoutMs((int) REFUSED.toMillis())
                .retryPolicy(new RetryOneTime(100)).build());
        c.start();
        return c;
    }

    @Test
    void nodesConfiguredForTlsJoinThroughTheSecurePort() throws Exception {
        ClusterNode[] nodes = new ClusterNode[2];
        for (int i = 0; i < 2; i++) {
            String id = String.valueOf(i + 1);
            ClusterConfig config = ClusterConfig.load(clusterXml(id, tlsAttributes(stores.passwordFile())),
                    Overrides.NONE);
            assertEquals(stores.truststore(), config.tls().truststore());
            nodes[i] = resources.add(new ClusterNode(config, config.connect(), new Events(id)));
            nodes[i].start();
        }
        await("both nodes in quorum over TLS", () -> nodes[0].inQuorum() && nodes[1].inQuorum());
        assertEquals(Set.of("1", "2"), nodes[0].liveMembers());
        assertEquals("connected", nodes[1].connectionState());
        assertEquals(secureConnect, nodes[0].client().getZookeeperClient().getCurrentConnectionString());
        // What they registered is in ZooKeeper, as any client of the plain port sees it.
        CuratorFramework plain = plainClient(server.getConnectString());
        assertTrue(plain.blockUntilConnected((int) WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(Set.of("1", "2"), Set.copyOf(plain.getChildren().forPath(nodes[0].layout().membersPath())));
    }

    @Test
    void aClientWithoutTlsCannotConnectToTheSecurePort() throws Exception {
        CuratorFramework plain = plainClient(secureConnect);
        assertFalse(plain.blockUntilConnected((int) REFUSED.toSeconds(), TimeUnit.SECONDS),
                "a plain client connected to the secure port");
        // The server is up: the same client settings reach the plain port.
        assertTrue(plainClient(server.getConnectString()).blockUntilConnected((int) WAIT.toSeconds(),
                TimeUnit.SECONDS));

        // Nor does a node whose cluster.xml has no tls-* attributes.
        ClusterConfig config = ClusterConfig.load(clusterXml("1", ""), Overrides.NONE);
        ClusterNode node = resources.add(new ClusterNode(config, config.connect(), new Events("1")));
        node.start();
        assertFalse(node.client().blockUntilConnected((int) REFUSED.toSeconds(), TimeUnit.SECONDS));
        assertEquals("connecting", node.connectionState());
        assertFalse(node.inQuorum());
    }

    @Test
    void aNodeThatDoesNotTrustTheServersCertificateCannotConnect() throws Exception {
        // Another self-signed certificate in its truststore; its keystore is the one the server trusts.
        TlsStores other = TlsStores.create(tmp.resolve("other"), PASSWORD);
        ClusterConfig config = ClusterConfig.load(clusterXml("1", "tls-truststore=\"" + other.truststore()
                + "\" tls-keystore=\"" + stores.keystore() + "\" tls-password-file=\"" + other.passwordFile() + "\""),
                Overrides.NONE);
        ClusterNode node = resources.add(new ClusterNode(config, config.connect(), new Events("1")));
        node.start();
        assertFalse(node.client().blockUntilConnected((int) REFUSED.toSeconds(), TimeUnit.SECONDS));
        assertFalse(node.inQuorum());
    }

    @Test
    void aBadPasswordFileIsAClearErrorWhenClusterXmlIsLoaded() throws Exception {
        Path passwordFile = TlsStores.writePasswordFile(tmp.resolve("wrong.password"), "not-the-password");
        Path xml = clusterXml("1", tlsAttributes(passwordFile));
        XmlException e = assertThrows(XmlException.class, () -> ClusterConfig.load(xml, Overrides.NONE));
        assertEquals(xml + ":2: the password in tls-password-file " + passwordFile + " does not open tls-truststore "
                + stores.truststore(), e.getMessage());

        TlsStores.writePasswordFile(passwordFile, PASSWORD);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));
        e = assertThrows(XmlException.class, () -> ClusterConfig.load(xml, Overrides.NONE));
        assertEquals(xml + ":2: tls-password-file " + passwordFile + " is readable by every user; chmod o-r it",
                e.getMessage());

        // Changed after cluster.xml was read: the node refuses to start with the same reason.
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        ClusterConfig config = ClusterConfig.load(xml, Overrides.NONE);
        TlsStores.writePasswordFile(passwordFile, "changed-since");
        UncheckedIOException u = assertThrows(UncheckedIOException.class,
                () -> new ClusterNode(config, config.connect(), new Events("1")));
        assertEquals("the password in tls-password-file " + passwordFile + " does not open tls-truststore "
                + stores.truststore(), u.getMessage());
    }
}
