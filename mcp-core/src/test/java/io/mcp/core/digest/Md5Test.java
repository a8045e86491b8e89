package io.mcp.core.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Md5Test {
    @TempDir
    Path tmp;

    @Test
    void knownDigests() {
        // RFC 1321, appendix A.5
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", Md5.of(new byte[0]));
        assertEquals("900150983cd24fb0d6963f7d28e17f72", Md5.of("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aFileHashesAsItsBytesAcrossReadBuffers() throws Exception {
        byte[] data = new byte[20_000];
        Arrays.fill(data, (byte) 'x');
        data[12_345] = 'y';
        Path file = tmp.resolve("f");
        Files.write(file, data);
        assertEquals(Md5.of(data), Md5.of(file));
        assertEquals(Md5.of(data), Md5.of(file), "a second digest starts afresh");
    }

    @Test
    void aMissingFileIsSaid() {
        assertThrows(NoSuchFileException.class, () -> Md5.of(tmp.resolve("missing")));
    }
}
