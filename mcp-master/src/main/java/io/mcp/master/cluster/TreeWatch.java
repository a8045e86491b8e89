package io.mcp.master.cluster;

import io.mcp.core.os.FileWatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tells {@code onEvents} what changes in a directory or any directory below it, including
 * directories created later (inotify through {@link FileWatch}). The callback runs on the watch's
 * thread and should only schedule work.
 */
final class TreeWatch implements AutoCloseable {
    private final FileWatch watch;

    TreeWatch(Path root, Consumer<List<FileWatch.Event>> onEvents) throws IOException {
        watch = new FileWatch("override-watch", onEvents::accept);
        try {
            watch.watchTree(root);
        } catch (IOException e) {
            watch.close();
            throw e;
        }
    }

    @Override
    public void close() {
        watch.close();
    }
}
