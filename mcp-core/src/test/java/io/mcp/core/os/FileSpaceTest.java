package io.mcp.core.os;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSpaceTest {
    @TempDir
    Path dir;

    @Test
    void aNewFileGetsItsBlocksOnDiskAndReadsAsZeros() throws Exception {
        Path file = dir.resolve("ahead.tmp");
        FileSpace.reserve(file, 4096);
        assertEquals(4096, Files.size(file));
        assertArrayEquals(new byte[4096], Files.readAllBytes(file));
        assertTrue(allocatedBytes(file) >= 4096, "blocks allocated: " + allocatedBytes(file) + " bytes");
    }

    @Test
    void whatTheFileHeldIsKept() throws Exception {
        Path file = dir.resolve("kept.tmp");
        Files.writeString(file, "held\n");
        FileSpace.reserve(file, 4096);
        byte[] now = Files.readAllBytes(file);
        assertEquals(4096, now.length);
        assertEquals("held\n", new String(Arrays.copyOf(now, 5), StandardCharsets.US_ASCII));
    }

    @Test
    void aFileThatCannotBeOpenedIsNamedWithTheReason() {
        Path file = dir.resolve("missing-dir").resolve("x.tmp");
        IOException e = assertThrows(IOException.class, () -> FileSpace.reserve(file, 4096));
        assertEquals("cannot open " + file + ": No such file or directory", e.getMessage());
    }

    /** st_blocks × 512, as stat(1) reports it: the JDK has no attribute for it. */
    private static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
        assertEquals(0, p.waitFor());
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }
}
