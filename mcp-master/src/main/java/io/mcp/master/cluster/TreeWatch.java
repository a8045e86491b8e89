package io.mcp.master.cluster;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.stream.Stream;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Calls {@code onChange} whenever anything changes in a directory or any directory below it,
 * including directories created later. The callback should only schedule a scan.
 */
final class TreeWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TreeWatch.class.getName());
    private final Path root;
    private final WatchService watcher;
    private final Thread thread;

    TreeWatch(Path root, Runnable onChange) throws IOException {
        this.root = root;
        watcher = FileSystems.getDefault().newWatchService();
        registerAll();
        thread = new Thread(() -> {
            try {
                while (true) {
                    WatchKey key = watcher.take();
                    boolean created = false;
                    for (WatchEvent<?> e : key.pollEvents()) {
                        created |= e.kind() != StandardWatchEventKinds.ENTRY_DELETE;
                    }
                    key.reset();
                    if (created) {
                        registerAll(); // a new directory, or an overflow: make sure every directory is watched
                    }
                    onChange.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                LOG.fine("tree watch ended");
            }
        }, "override-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Registers every directory of the tree; registering one twice is harmless. */
    private void registerAll() {
        try (Stream<Path> dirs = Files.walk(root)) {
            dirs.filter(Files::isDirectory).forEach(d -> {
                try {
                    d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                            StandardWatchEventKinds.ENTRY_MODIFY);
                } catch (IOException | ClosedWatchServiceException e) {
                    LOG.log(Level.FINE, "cannot watch " + d, e);
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(Level.FINE, "cannot walk " + root, e); // the periodic pass still covers it
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
    }
}
