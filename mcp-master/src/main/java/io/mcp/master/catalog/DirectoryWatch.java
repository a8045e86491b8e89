package io.mcp.master.catalog;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.List;
import java.util.logging.Logger;

/**
 * Calls {@code onChange} whenever anything changes in the given directories (inotify on Linux).
 * The callback should only schedule a scan: several events in a burst are one change.
 */
public final class DirectoryWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DirectoryWatch.class.getName());
    private final WatchService watcher;
    private final Thread thread;

    public DirectoryWatch(List<Path> dirs, Runnable onChange) throws IOException {
        watcher = FileSystems.getDefault().newWatchService();
        for (Path dir : dirs) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
        }
        thread = new Thread(() -> {
            try {
                while (true) {
                    var key = watcher.take();
                    key.pollEvents();
                    key.reset();
                    onChange.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                LOG.fine("directory watch ended");
            }
        }, "directory-watch");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        watcher.close();
    }
}
