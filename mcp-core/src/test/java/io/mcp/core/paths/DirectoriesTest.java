package io.mcp.core.paths;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoriesTest {
    @TempDir
    Path root;

    @Test
    void ensureCreatesMissingParentsAndLeavesAnExistingDirectoryAsItIs() throws IOException {
        Path dir = root.resolve("a/b/c");
        Directories.ensure(dir);
        assertTrue(Files.isDirectory(dir));
        Files.writeString(dir.resolve("kept"), "x");

        Directories.ensure(dir);
        assertTrue(Files.exists(dir.resolve("kept")));
    }

    @Test
    void ensureFailsWhereAFileStandsInTheWay() throws IOException {
        Files.writeString(root.resolve("file"), "x");
        assertThrows(IOException.class, () -> Directories.ensure(root.resolve("file")));
        assertThrows(IOException.class, () -> Directories.ensure(root.resolve("file/below")));
    }
}
