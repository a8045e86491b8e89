package io.mcp.core.digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The MD5 of a file's content, in hex: how the mlists and the config watch tell contents apart. */
public final class Md5 {
    /**
     * Copied for each hash: in a profile of the masters, looking MD5 up among the security
     * providers by name took twice as long as hashing a 512-byte file, on the path of every change.
     */
    private static final MessageDigest PROTOTYPE = lookUp();

    private Md5() {
    }

    /** The MD5 of {@code data}. */
    public static String of(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    /** The MD5 of a file's content, read in pieces. */
    public static String of(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return lookUp();
        }
    }

    private static MessageDigest lookUp() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no MD5 in this JDK", e);
        }
    }
}
