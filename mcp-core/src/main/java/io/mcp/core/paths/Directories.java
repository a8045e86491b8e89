package io.mcp.core.paths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Directory chores for the processes' training runs, which must not load Commons IO. */
public final class Directories {
    private Directories() {
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
