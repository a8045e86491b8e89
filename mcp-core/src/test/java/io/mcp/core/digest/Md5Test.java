package io.mcp.core.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
    void threadsHashingAtOnceEachGetTheirOwnDigest() throws Exception {
        // Each hash copies one digest looked up once: a shared one would mix the threads' bytes.
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        byte[] big = new byte[200_000];
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] data = i % 2 == 0 ? abc : big;
                String expected = i % 2 == 0 ? "900150983cd24fb0d6963f7d28e17f72" : "4a1e4325031b13f933ac4f1db9ecb63f";
                results.add(threads.submit(() -> Md5.of(data).equals(expected)));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(30, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aMissingFileIsSaid() {
        assertThrows(NoSuchFileException.class, () -> Md5.of(tmp.resolve("missing")));
    }
}
