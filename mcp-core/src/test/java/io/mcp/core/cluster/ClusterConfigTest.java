package io.mcp.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.cluster.ClusterConfig.Overrides;
import io.mcp.core.testing.TlsStores;
import io.mcp.core.xml.XmlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterConfigTest {
    @TempDir Path dir;

    private Path write(String xml) throws IOException {
        return Files.writeString(dir.resolve("cluster.xml"), xml);
    }

    private XmlException refused(String xml) throws IOException {
        Path f = write(xml);
        return assertThrows(XmlException.class, () -> ClusterConfig.load(f, Overrides.NONE));
    }

    @Test
    void missingFileIsASingleNodeClusterWithEmbeddedZooKeeper() throws Exception {
        ClusterConfig c = ClusterConfig.load(dir.resolve("cluster.xml"), Overrides.NONE);
        assertEquals(ClusterConfig.defaults(), c);
        assertEquals("mcp", c.name());
        assertEquals("1", c.nodeId());
        assertEquals(List.of("1"), c.members());
        assertTrue(c.embedded());
        assertEquals(2181, c.embeddedPort());
        assertEquals("127.0.0.1", c.embeddedBind());
    }

    @Test
    void readsTheDesignExample() throws Exception {
        Path f = write("""
                <cluster name="prod">
                  <zookeeper connect="zk1:2181,zk2:2181,zk3:2181" session-timeout="10s"/>
                  <node id="2"/>
                  <member id="1"/><member id="2"/><member id="3"/>
                  <alert command="/usr/local/bin/page-me"/>
                </cluster>
                """);
        ClusterConfig c = ClusterConfig.load(f, Overrides.NONE);
        assertEquals(new ClusterConfig("prod", "2", List.of("1", "2", "3"), "zk1:2181,zk2:2181,zk3:2181",
                Duration.ofSeconds(10), 2181, "127.0.0.1"), c);
        assertFalse(c.embedded());
    }

    @Test
    void embeddedServerPortAndBindAreExtensions() throws Exception {
        Path f = write("""
                <cluster name="lab"><zookeeper port="12181" bind="0.0.0.0" session-timeout="3s"/><node id="a"/></cluster>
                """);
        ClusterConfig c = ClusterConfig.load(f, Overrides.NONE);
        assertTrue(c.embedded());
        assertEquals(12181, c.embeddedPort());
        assertEquals("0.0.0.0", c.embeddedBind());
        assertEquals(Duration.ofSeconds(3), c.sessionTimeout());
        assertEquals(List.of("a"), c.members(), "no member declared: this node alone");
    }

    @Test
    void aDigestFileIsResolvedNextToClusterXmlAndChecked() throws Exception {
        String xml = """
                <cluster name="lab">
                  <zookeeper connect="zk1:2181" digest-file="zk.digest"/>
                </cluster>""";
        Path digest = dir.resolve("zk.digest");
        Files.writeString(digest, "mcp:s3cret\n");
        Files.setPosixFilePermissions(digest, PosixFilePermissions.fromString("rw-r-----"));
        assertEquals(digest, ClusterConfig.load(write(xml), Overrides.NONE).digestFile());

        Files.setPosixFilePermissions(digest, PosixFilePermissions.fromString("rw-r--r--"));
        XmlException open = refused(xml);
        assertTrue(open.getMessage().contains("readable by every user"), open.getMessage());
        assertEquals(2, open.line());

        Files.setPosixFilePermissions(digest, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(digest, "no-colon\n");
        assertTrue(refused(xml).getMessage().contains("'user:password'"));
        Files.delete(digest);
        assertTrue(refused(xml).getMessage().contains("does not exist"));
    }

    @Test
    void anAlertCommandIsCheckedAtLoadAndReadOnItsOwnForEachAlert() throws Exception {
        Path f = write("""
                <cluster name="lab">
                  <node id="a"/>
                  <alert command=" /usr/local/bin/page --team ops " timeout="5s"/>
                </cluster>
                """);
        ClusterConfig.load(f, Overrides.NONE);
        assertEquals(new AlertSpec("/usr/local/bin/page --team ops", Duration.ofSeconds(5), "lab", "a"),
                AlertSpec.read(f, Overrides.NONE).orElseThrow());
        assertEquals("b", AlertSpec.read(f, new Overrides("b", null)).orElseThrow().nodeId());
        assertEquals(AlertSpec.DEFAULT_TIMEOUT,
                AlertSpec.read(write("<cluster><alert command=\"true\"/></cluster>"), Overrides.NONE)
                        .orElseThrow().timeout());
        assertTrue(AlertSpec.read(write("<cluster/>"), Overrides.NONE).isEmpty());
        assertTrue(AlertSpec.read(dir.resolve("none.xml"), Overrides.NONE).isEmpty());

        XmlException e = refused("""
                <cluster>
                  <alert/>
                </cluster>
                """);
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.reason().contains("<alert> needs a command"), e.getMessage());
        e = refused("<cluster><alert command=\"x\" timeout=\"2h\"/></cluster>");
        assertTrue(e.reason().contains("<alert timeout> 2h is outside 1s..1h"), e.getMessage());
        e = refused("<cluster><alert command=\"x\" timeout=\"later\"/></cluster>");
        assertTrue(e.reason().contains("not a duration: 'later'"), e.getMessage());
    }

    @Test
    void tlsStoresAreResolvedNextToClusterXmlAndOpenedAtLoad() throws Exception {
        TlsStores stores = TlsStores.create(dir.resolve("tls"), "s3cret-pw");
        String xml = """
                <cluster name="lab">
                  <zookeeper connect="zk1:2281" tls-truststore="tls/truststore.p12" tls-keystore="tls/keystore.p12"
                             tls-password-file="tls/tls.password"/>
                </cluster>""";
        ClusterConfig c = ClusterConfig.load(write(xml), Overrides.NONE);
        assertEquals(new ZkTls(stores.truststore(), stores.keystore(), stores.passwordFile()), c.tls());
        ZkTls.Opened opened = c.tls().open();
        assertEquals("s3cret-pw", opened.password());
        assertEquals("PKCS12", opened.keystoreType());
        assertFalse(opened.toString().contains("s3cret"), "the password stays out of logs");

        // Without a client certificate (an ensemble with ssl.clientAuth=none): the truststore alone.
        c = ClusterConfig.load(write(xml.replace("tls-keystore=\"tls/keystore.p12\"", "")), Overrides.NONE);
        assertEquals(new ZkTls(stores.truststore(), null, stores.passwordFile()), c.tls());
        assertEquals(null, ClusterConfig.load(write("<cluster><zookeeper connect=\"zk1:2181\"/></cluster>"),
                Overrides.NONE).tls());
    }

    @Test
    void badTlsSettingsAreRefusedNamingTheAttributeAndFile() throws Exception {
        TlsStores stores = TlsStores.create(dir.resolve("tls"), "s3cret-pw");
        String xml = """
                <cluster name="lab">
                  <zookeeper connect="zk1:2281" tls-truststore="tls/truststore.p12" tls-keystore="tls/keystore.p12"
                             tls-password-file="tls/tls.password"/>
                </cluster>""";

        XmlException e = refused(xml.replace("zk1:2281", "embedded"));
        assertTrue(e.reason().contains("external ensemble") && e.reason().contains("embedded"), e.getMessage());
        assertEquals(3, e.line(), "the line where the <zookeeper> tag ends");
        Path f = write(xml);
        e = assertThrows(XmlException.class, () -> ClusterConfig.load(f, new Overrides(null, "embedded")));
        assertTrue(e.reason().contains("external ensemble"), e.getMessage());
        assertTrue(ClusterConfig.load(f, new Overrides(null, "zk9:2281")).tls() != null);

        e = refused(xml.replace("tls-truststore=\"tls/truststore.p12\"", ""));
        assertTrue(e.reason().contains("tls-keystore but no tls-truststore"), e.getMessage());
        e = refused(xml.replace("tls-password-file=\"tls/tls.password\"", ""));
        assertTrue(e.reason().contains("needs tls-password-file"), e.getMessage());

        e = refused(xml.replace("truststore.p12", "nowhere.p12"));
        assertTrue(e.reason().startsWith("tls-truststore " + dir.resolve("tls/nowhere.p12") + " does not exist"),
                e.getMessage());

        TlsStores.writePasswordFile(stores.passwordFile(), "wrong-pw");
        e = refused(xml);
        assertEquals("the password in tls-password-file " + stores.passwordFile() + " does not open tls-truststore "
                + stores.truststore(), e.reason());
        TlsStores.writePasswordFile(stores.passwordFile(), "");
        assertTrue(refused(xml).reason().contains("must hold one line, the password"));
        TlsStores.writePasswordFile(stores.passwordFile(), "s3cret-pw");
        Files.setPosixFilePermissions(stores.passwordFile(), PosixFilePermissions.fromString("rw-r--r--"));
        e = refused(xml);
        assertEquals("tls-password-file " + stores.passwordFile() + " is readable by every user; chmod o-r it",
                e.reason());
        Files.setPosixFilePermissions(stores.passwordFile(), PosixFilePermissions.fromString("rw-------"));

        e = refused(xml.replace("tls/truststore.p12", "tls/keystore.p12"));
        assertTrue(e.reason().startsWith("tls-truststore " + stores.keystore() + " holds no trusted certificate entry"),
                e.getMessage());
        e = refused(xml.replace("tls/keystore.p12", "tls/truststore.p12"));
        assertTrue(e.reason().startsWith("tls-keystore " + stores.truststore() + " holds no private key"),
                e.getMessage());
        Files.writeString(dir.resolve("tls/garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot really\n");
        e = refused(xml.replace("tls/keystore.p12", "tls/garbage.pem"));
        assertTrue(e.reason().startsWith("tls-keystore " + dir.resolve("tls/garbage.pem")
                + " is not a JKS or PKCS12 store"), e.getMessage());

        // A key whose password is not the store's: ZooKeeper could not use it.
        Path jks = dir.resolve("tls/keys.jks");
        TlsStores.keytool("-genkeypair", "-alias", "k", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=x",
                "-storetype", "JKS", "-keystore", jks.toString(), "-storepass", "s3cret-pw", "-keypass", "other-pw");
        e = refused(xml.replace("tls/keystore.p12", "tls/keys.jks"));
        assertTrue(e.reason().contains("has another password than the store"), e.getMessage());
    }

    @Test
    void commandLineOverridesWinOverTheFile() throws Exception {
        Path f = write("""
                <cluster name="prod">
                  <zookeeper connect="zk1:2181"/>
                  <node id="2"/>
                  <member id="1"/><member id="2"/><member id="3"/>
                </cluster>
                """);
        ClusterConfig c = ClusterConfig.load(f, new Overrides("3", "zk9:2181,zk8:2181/mcp"));
        assertEquals("3", c.nodeId());
        assertEquals("zk9:2181,zk8:2181/mcp", c.connect());

        ClusterConfig none = ClusterConfig.load(dir.resolve("absent.xml"), new Overrides("7", null));
        assertEquals("7", none.nodeId());
        assertEquals(List.of("7"), none.members());
        assertTrue(none.embedded());
    }

    @Test
    void overridesComeFromTheSystemPropertiesFailsafePasses() {
        String id = System.getProperty("mcp.node-id");
        String zk = System.getProperty("mcp.zk");
        try {
            System.setProperty("mcp.node-id", "3");
            System.setProperty("mcp.zk", "zk1:2181");
            assertEquals(new Overrides("3", "zk1:2181"), Overrides.fromSystemProperties());
            System.clearProperty("mcp.node-id");
            System.setProperty("mcp.zk", " ");
            assertEquals(Overrides.NONE, Overrides.fromSystemProperties());
        } finally {
            restore("mcp.node-id", id);
            restore("mcp.zk", zk);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void overrideNotAmongMembersIsRefused() throws Exception {
        Path f = write("""
                <cluster><node id="1"/><member id="1"/><member id="2"/></cluster>
                """);
        XmlException e = assertThrows(XmlException.class, () -> ClusterConfig.load(f, new Overrides("5", null)));
        assertTrue(e.reason().contains("'5' (from the command line) is not among the declared members 1, 2"),
                e.getMessage());
    }

    @Test
    void badOverridesAreRefusedBeforeAnyFileIsRead() {
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> new Overrides("../x", null));
        assertTrue(id.getMessage().contains("node id '../x' must be"), id.getMessage());
        IllegalArgumentException zk = assertThrows(IllegalArgumentException.class, () -> new Overrides(null, "a b"));
        assertTrue(zk.getMessage().contains("ZooKeeper connect 'a b'"), zk.getMessage());
    }

    @Test
    void badValuesAreReportedWithFileAndLine() throws Exception {
        XmlException e = refused("""
                <cluster name="prod">
                  <node id="2"/>
                  <member id="1"/>
                  <member id="../2"/>
                </cluster>
                """);
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("cluster.xml") + ":4: <member> id '../2' must be"),
                e.getMessage());

        e = refused("""
                <cluster name="prod">

                  <node id="4"/>
                  <member id="1"/><member id="2"/>
                </cluster>
                """);
        assertEquals(3, e.line(), e.getMessage());
        assertTrue(e.reason().contains("'4' is not among the declared members 1, 2"), e.getMessage());

        e = refused("""
                <cluster name="a/b"/>
                """);
        assertEquals(1, e.line(), e.getMessage());

        e = refused("""
                <cluster>
                  <zookeeper session-timeout="soon"/>
                </cluster>
                """);
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.reason().contains("not a duration: 'soon'"), e.getMessage());

        e = refused("""
                <cluster><member id="1"/>
                  <member id="1"/></cluster>
                """);
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.reason().contains("declared twice"), e.getMessage());

        assertEquals(1, refused("<cluster><zookeeper port=\"70000\"/></cluster>").line());
        assertTrue(refused("<cluster><zookeeper connect=\"zk1:2181, zk2:2181\"/></cluster>").reason()
                .contains("must be 'embedded' or host:port"));
        assertTrue(refused("<cluster><node id=\"\"/></cluster>").reason().contains("<node> id is missing"));
        assertTrue(refused("<cluster><node id=\"x\0\"/></cluster>").getMessage().contains("cluster.xml:1:"));
    }
}
