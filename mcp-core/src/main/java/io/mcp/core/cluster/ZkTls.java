package io.mcp.core.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.util.Collections;
import java.util.Objects;

/**
 * TLS to an external ZooKeeper ensemble, from {@code <zookeeper tls-truststore= tls-keystore=
 * tls-password-file=>}: the certificates this node trusts the ensemble's servers with, this
 * node's own certificate and key (when the ensemble asks clients for one, ZooKeeper's default),
 * and the file holding the password of both stores.
 *
 * <p>The stores are JKS or PKCS12 files, told apart by their content, not their names; the
 * password of the key in the keystore must be the keystore's password (ZooKeeper opens both with
 * one password). The password itself is never in {@code cluster.xml}.
 *
 * @param truststore the trusted certificates (attribute {@code tls-truststore})
 * @param keystore this node's certificate and private key (attribute {@code tls-keystore}), or null
 * @param passwordFile one line, the password of both stores (attribute {@code tls-password-file})
 */
public record ZkTls(Path truststore, Path keystore, Path passwordFile) {
    public static final String TRUSTSTORE = "tls-truststore";
    public static final String KEYSTORE = "tls-keystore";
    public static final String PASSWORD_FILE = "tls-password-file";

    public ZkTls {
        Objects.requireNonNull(truststore, TRUSTSTORE);
        Objects.requireNonNull(passwordFile, PASSWORD_FILE);
    }

    /**
     * What a ZooKeeper client needs, read and checked: the password and the type of each store.
     *
     * @param keystoreType {@code JKS} or {@code PKCS12}; null without a keystore
     */
    public record Opened(String password, String truststoreType, String keystoreType) {
        @Override
        public String toString() {
            return "Opened[truststoreType=" + truststoreType + ", keystoreType=" + keystoreType + "]";
        }
    }

    /**
     * Reads the password file and opens both stores with it.
     *
     * @throws IOException with a one-line reason that names the attribute and the file: a file
     *         missing or unreadable, a password file readable by every user, a password that does
     *         not open a store, a store of another format, a keystore without a private key
     */
    public Opened open() throws IOException {
        String password = ClusterConfig.readSecret(PASSWORD_FILE, passwordFile);
        if (password.isEmpty() || password.contains("\n")) {
            throw new IOException(PASSWORD_FILE + " " + passwordFile + " must hold one line, the password");
        }
        char[] chars = password.toCharArray();
        KeyStore trust = load(TRUSTSTORE, truststore, chars);
        if (!holdsTrustedCertificate(trust)) {
            throw new IOException(TRUSTSTORE + " " + truststore + " holds no trusted certificate entry (a"
                    + " certificate that comes with its private key does not count: ZooKeeper trusts only"
                    + " certificates imported alone, e.g. with keytool -importcert)");
        }
        String keystoreType = null;
        if (keystore != null) {
            KeyStore keys = load(KEYSTORE, keystore, chars);
            checkPrivateKey(keys, chars);
            keystoreType = keys.getType().toUpperCase(java.util.Locale.ROOT);
        }
        return new Opened(password, trust.getType().toUpperCase(java.util.Locale.ROOT), keystoreType);
    }

    private KeyStore load(String attribute, Path file, char[] password) throws IOException {
        String what = attribute + " " + file;
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + " does not exist or is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new IOException(what + " is not readable by this user");
        }
        try {
            KeyStore store = KeyStore.getInstance(file.toFile(), password);
            String type = store.getType().toUpperCase(java.util.Locale.ROOT);
            if (!type.equals("JKS") && !type.equals("PKCS12")) {
                throw new IOException(what + " is a " + type + " store; ZooKeeper reads JKS or PKCS12");
            }
            return store;
        } catch (KeyStoreException e) {
            throw new IOException(what + " is not a JKS or PKCS12 store (PEM files are not taken: convert them,"
                    + " e.g. with openssl pkcs12 -export)");
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IOException("the password in " + PASSWORD_FILE + " " + passwordFile + " does not open "
                        + what);
            }
            throw new IOException(what + " cannot be read as a JKS or PKCS12 store: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new IOException(what + " cannot be read: " + e.getMessage());
        }
    }

    private void checkPrivateKey(KeyStore keys, char[] password) throws IOException {
        String what = KEYSTORE + " " + keystore;
        try {
            for (String alias : Collections.list(keys.aliases())) {
                if (keys.isKeyEntry(alias)) {
                    try {
                        keys.getKey(alias, password);
                    } catch (UnrecoverableKeyException e) {
                        throw new IOException("the key '" + alias + "' in " + what + " has another password than"
                                + " the store; ZooKeeper opens both with the one in " + PASSWORD_FILE);
                    }
                    return;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(what + " cannot be read: " + e.getMessage());
        }
        throw new IOException(what + " holds no private key (this node's certificate and key belong there;"
                + " the ensemble's certificates go in " + TRUSTSTORE + ")");
    }

    /** What ZooKeeper's trust manager takes as trust anchors: certificate entries, not key entries. */
    private static boolean holdsTrustedCertificate(KeyStore store) throws IOException {
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isCertificateEntry(alias)) {
                    return true;
                }
            }
            return false;
        } catch (KeyStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
