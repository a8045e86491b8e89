package io.mcp.core.paths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Directory chores, without Commons IO (the training runs of the class-data archives must not load it). */
public final class Directories {
    private Directories() {
    }

    /**
     * Creates {@code dir} and its parents unless it is a directory already. Not
     * {@code Files.createDirectories} alone: on a directory that exists, that first tries to
     * create it and builds the exception that says it exists, which took a seventh of the CPU of
     * writing an override file (with its fsync) in a profile.
     */
    public static void ensure(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
    }

    /**
     * Deletes {@code root} and everything under it. The training runs of the class-data archives
     * use this rather than Commons IO: its classes would go into the archive, which is resident
     * whole, for nothing the process itself does.
     */
    public static void deleteTree(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }
}
