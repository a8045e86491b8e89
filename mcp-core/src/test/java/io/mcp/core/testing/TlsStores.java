package io.mcp.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's
 * {@code keytool}: a keystore with its key, a truststore with its certificate, and a password
 * file (mode 0600) holding the password of both. Servers and clients in a test may all use it.
 *
 * @param keystore the certificate and its private key
 * @param truststore the certificate alone
 * @param passwordFile the stores' password, one line
 * @param password the same password
 */
public record TlsStores(Path keystore, Path truststore, Path passwordFile, String password) {
    private static final long KEYTOOL_SECONDS = 60;

    /** Makes PKCS12 stores {@code keystore.p12} and {@code truststore.p12} and {@code tls.password} in {@code dir}. */
    public static TlsStores create(Path dir, String password) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path keystore = dir.resolve("keystore.p12");
        Path truststore = dir.resolve("truststore.p12");
        Path cert = dir.resolve("node.crt");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", password);
        keytool("-exportcert", "-alias", "node", "-keystore", keystore.toString(), "-storepass", password,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "node", "-file", cert.toString(),
                "-storetype", "PKCS12", "-keystore", truststore.toString(), "-storepass", password);
        Path passwordFile = writePasswordFile(dir.resolve("tls.password"), password);
        return new TlsStores(keystore, truststore, passwordFile, password);
    }

    /** Writes {@code password} and a newline to {@code file}, mode 0600. */
    public static Path writePasswordFile(Path file, String password) throws IOException {
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Runs the JDK's keytool; fails with its output when it does. */
    public static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(KEYTOOL_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool did not finish within " + KEYTOOL_SECONDS + " s: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool failed (" + p.exitValue() + "): " + command + "\n"
                    + new String(output, StandardCharsets.UTF_8));
        }
    }
}
