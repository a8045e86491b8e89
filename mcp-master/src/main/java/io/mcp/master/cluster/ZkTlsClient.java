package io.mcp.master.cluster;

import io.mcp.core.cluster.ZkTls;
import java.io.IOException;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;

/**
 * The ZooKeeper client settings for TLS to the ensemble, for one client: they go into that
 * client's {@link ZKClientConfig}, never into system properties, so nothing else in the JVM
 * (an embedded server, another client) is changed by them. ZooKeeper speaks TLS only through
 * its Netty connection, which comes with the ZooKeeper jar's dependencies.
 */
final class ZkTlsClient {
    private ZkTlsClient() {
    }

    /**
     * Reads the password file and opens the stores again (they may have changed since
     * {@code cluster.xml} was loaded), then sets the client's TLS properties.
     *
     * @throws IOException with a one-line reason naming the attribute and the file
     */
    static ZKClientConfig config(ZkTls tls) throws IOException {
        ZkTls.Opened opened = tls.open();
        ZKClientConfig config = new ZKClientConfig();
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        try (ClientX509Util x509 = new ClientX509Util()) {
            config.setProperty(x509.getSslTruststoreLocationProperty(), tls.truststore().toString());
            config.setProperty(x509.getSslTruststorePasswdProperty(), opened.password());
            config.setProperty(x509.getSslTruststoreTypeProperty(), opened.truststoreType());
            if (tls.keystore() != null) {
                config.setProperty(x509.getSslKeystoreLocationProperty(), tls.keystore().toString());
                config.setProperty(x509.getSslKeystorePasswdProperty(), opened.password());
                config.setProperty(x509.getSslKeystoreTypeProperty(), opened.keystoreType());
            }
        }
        return config;
    }
}
