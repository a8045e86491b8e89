package io.mcp.core.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * Watches directories with inotify(7), bound through jnr-ffi, and tells a listener what
 * happened to which name: written and closed, renamed in or out, created, modified, deleted.
 * The JDK's {@code WatchService} tells a rename into place and a file created in place alike
 * ({@code ENTRY_CREATE}) and hands events over through an extra thread; here one thread reads
 * the inotify descriptor and calls the listener with each batch it read.
 *
 * <p>A directory is watched alone ({@link #watch}) or with everything below it
 * ({@link #watchTree}): a directory created (or renamed) into a watched tree is watched at once,
 * and the listener is told {@link Kind#CREATE} for it, so that it can look at what the new
 * directory already holds. When the kernel's queue overflows, the listener is told
 * {@link Kind#OVERFLOW} (events were lost: look at everything again) and every tree is
 * registered again.
 */
public final class FileWatch implements AutoCloseable {
    /** What happened to a name in a watched directory. */
    public enum Kind {
        /** A file opened for writing was closed: written in place. */
        CLOSE_WRITE,
        /** Renamed into the directory: an editor's or the cluster's finished file. */
        MOVED_TO,
        /** Created (a file about to be written, or a new directory). */
        CREATE,
        /** Written, not yet closed. */
        MODIFY,
        /** Deleted. */
        DELETE,
        /** Renamed out of the directory. */
        MOVED_FROM,
        /** Attributes changed (mode, owner, times). */
        ATTRIB,
        /** The kernel dropped events: everything watched must be looked at again. */
        OVERFLOW
    }

    /**
     * One event: {@code path} is the directory's entry (directory resolved with the name), or for
     * {@link Kind#OVERFLOW} null; {@code directory} when the entry is a directory.
     */
    public record Event(Kind kind, Path path, boolean directory) {
    }

    /** Told, on the watch's thread, each batch of events read at once; keep it short. */
    @FunctionalInterface
    public interface Listener {
        void events(List<Event> events);
    }

    /** The part of libc the watch calls. */
    public interface LibC {
        @SaveError
        int inotify_init1(int flags);

        @SaveError
        int inotify_add_watch(int fd, String path, int mask);

        int inotify_rm_watch(int fd, int wd);

        @SaveError
        int poll(Pointer fds, long nfds, int timeoutMillis);

        @SaveError
        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);

        @SaveError
        int pipe(int[] fds);

        int close(int fd);
    }

    private static final Logger LOG = Logger.getLogger(FileWatch.class.getName());
    private static final int IN_MODIFY = 0x2;
    private static final int IN_ATTRIB = 0x4;
    private static final int IN_CLOSE_WRITE = 0x8;
    private static final int IN_MOVED_FROM = 0x40;
    private static final int IN_MOVED_TO = 0x80;
    private static final int IN_CREATE = 0x100;
    private static final int IN_DELETE = 0x200;
    private static final int IN_Q_OVERFLOW = 0x4000;
    private static final int IN_IGNORED = 0x8000;
    private static final int IN_ONLYDIR = 0x01000000;
    private static final int IN_DONT_FOLLOW = 0x02000000;
    private static final int IN_EXCL_UNLINK = 0x04000000;
    private static final int IN_ISDIR = 0x40000000;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private static final int MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
            | IN_CREATE | IN_DELETE | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
    private static final short POLLIN = 0x1;
    private static final int EAGAIN = 11;
    private static final int BUFFER = 64 * 1024;

    private static volatile LibC boundLibc;

    private final LibC libc;
    private final Runtime runtime;
    private final int fd;
    private final int[] wakeup = new int[2];
    private final Listener listener;
    private final Thread thread;
    private volatile boolean closed;

    /** Watched directories: descriptor to directory and whether the tree below it is watched. */
    private final Map<Integer, Watched> byWd = new HashMap<>();
    private final Map<Path, Integer> byDir = new HashMap<>();
    private final List<Path> trees = new ArrayList<>();

    private record Watched(Path dir, boolean tree) {
    }

    /**
     * Opens an inotify instance and starts its thread.
     *
     * @param threadName the name of the thread that reads events and calls {@code listener}
     * @throws IOException when inotify is not available
     */
    public FileWatch(String threadName, Listener listener) throws IOException {
        this.listener = listener;
        try {
            libc = libc();
            runtime = Runtime.getRuntime(libc);
        } catch (RuntimeException | LinkageError e) {
            throw new IOException("inotify is not available: " + e, e);
        }
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            throw new IOException("inotify_init1 failed: errno " + runtime.getLastError());
        }
        if (libc.pipe(wakeup) != 0) {
            int errno = runtime.getLastError();
            libc.close(fd);
            throw new IOException("pipe failed: errno " + errno);
        }
        thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private static LibC libc() {
        LibC l = boundLibc;
        if (l == null) {
            synchronized (FileWatch.class) {
                l = boundLibc;
                if (l == null) {
                    l = LibraryLoader.create(LibC.class).load("c");
                    boundLibc = l;
                }
            }
        }
        return l;
    }

    /** Watches the entries of one directory (not the directories below it). */
    public void watch(Path dir) throws IOException {
        add(dir.toAbsolutePath().normalize(), false);
    }

    /** Watches a directory and every directory below it, now and created later. */
    public void watchTree(Path root) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        synchronized (this) {
            if (!trees.contains(r)) {
                trees.add(r);
            }
        }
        add(r, true);
        addBelow(r, null);
    }

    /** Stops watching a directory given to {@link #watch}; a no-op for one not watched. */
    public void unwatch(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        synchronized (this) {
            Integer wd = byDir.remove(d);
            if (wd != null) {
                byWd.remove(wd);
                libc.inotify_rm_watch(fd, wd);
            }
        }
    }

    /** The directories watched now (for tests and diagnostics). */
    public synchronized List<Path> watched() {
        return new ArrayList<>(byDir.keySet());
    }

    private void add(Path dir, boolean tree) throws IOException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the file watch is closed");
            }
            int wd = libc.inotify_add_watch(fd, dir.toString(), MASK);
            if (wd < 0) {
                throw new IOException("cannot watch " + dir + ": errno " + runtime.getLastError());
            }
            Watched before = byWd.get(wd);
            byWd.put(wd, new Watched(dir, tree || (before != null && before.tree)));
            Integer old = byDir.put(dir, wd);
            if (old != null && old != wd) {
                byWd.remove(old); // the directory was replaced by another one of the same name
            }
        }
    }

    /** Watches every directory below {@code dir}; those found are added to {@code found} as CREATE events. */
    private void addBelow(Path dir, List<Event> found) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(p -> !p.equals(dir) && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .forEach(d -> {
                        try {
                            add(d, true);
                            if (found != null) {
                                found.add(new Event(Kind.CREATE, d, true));
                            }
                        } catch (IOException e) {
                            LOG.log(Level.FINE, "cannot watch " + d, e);
                        }
                    });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(Level.FINE, "cannot walk " + dir, e); // gone again, or unreadable
        }
    }

    private void loop() {
        Pointer buf = Memory.allocateDirect(runtime, BUFFER);
        Pointer fds = Memory.allocateDirect(runtime, 16);
        fds.putInt(0, fd);
        fds.putShort(4, POLLIN);
        fds.putInt(8, wakeup[0]);
        fds.putShort(12, POLLIN);
        while (!closed) {
            fds.putShort(6, (short) 0);
            fds.putShort(14, (short) 0);
            int n = libc.poll(fds, 2, -1);
            if (closed) {
                break;
            }
            if (n <= 0) {
                continue; // EINTR
            }
            List<Event> batch = new ArrayList<>();
            // Read until the queue is empty, so that a burst is one batch.
            while (true) {
                long got = libc.read(fd, buf, BUFFER);
                if (got <= 0) {
                    if (got < 0 && runtime.getLastError() != EAGAIN) {
                        LOG.fine("inotify read failed: errno " + runtime.getLastError());
                    }
                    break;
                }
                parse(buf, (int) got, batch);
            }
            if (!batch.isEmpty()) {
                try {
                    listener.events(batch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a file watch listener failed", e);
                }
            }
        }
    }

    private void parse(Pointer buf, int length, List<Event> batch) {
        int off = 0;
        while (off + 16 <= length) {
            int wd = buf.getInt(off);
            int mask = buf.getInt(off + 4);
            int len = buf.getInt(off + 12);
            String name = null;
            if (len > 0) {
                byte[] raw = new byte[len];
                buf.get(off + 16, raw, 0, len);
                int end = 0;
                while (end < len && raw[end] != 0) {
                    end++;
                }
                name = new String(raw, 0, end, StandardCharsets.UTF_8);
            }
            off += 16 + len;
            if ((mask & IN_Q_OVERFLOW) != 0) {
                batch.add(new Event(Kind.OVERFLOW, null, false));
                rescanTrees(batch);
                continue;
            }
            Watched w;
            synchronized (this) {
                if ((mask & IN_IGNORED) != 0) {
                    Watched gone = byWd.remove(wd);
                    if (gone != null) {
                        byDir.remove(gone.dir, wd);
                    }
                    continue;
                }
                w = byWd.get(wd);
            }
            if (w == null || name == null) {
                continue;
            }
            Path path = w.dir.resolve(name);
            boolean dir = (mask & IN_ISDIR) != 0;
            Kind kind = kind(mask);
            if (kind == null) {
                continue;
            }
            batch.add(new Event(kind, path, dir));
            if (dir && w.tree && (kind == Kind.CREATE || kind == Kind.MOVED_TO)) {
                // Watch it before looking inside, so that nothing created meanwhile is missed.
                try {
                    add(path, true);
                    addBelow(path, batch);
                } catch (IOException e) {
                    LOG.log(Level.FINE, "cannot watch " + path, e);
                }
            }
        }
    }

    private static Kind kind(int mask) {
        if ((mask & IN_CLOSE_WRITE) != 0) {
            return Kind.CLOSE_WRITE;
        }
        if ((mask & IN_MOVED_TO) != 0) {
            return Kind.MOVED_TO;
        }
        if ((mask & IN_CREATE) != 0) {
            return Kind.CREATE;
        }
        if ((mask & IN_MODIFY) != 0) {
            return Kind.MODIFY;
        }
        if ((mask & IN_DELETE) != 0) {
            return Kind.DELETE;
        }
        if ((mask & IN_MOVED_FROM) != 0) {
            return Kind.MOVED_FROM;
        }
        if ((mask & IN_ATTRIB) != 0) {
            return Kind.ATTRIB;
        }
        return null;
    }

    /** After an overflow: every directory of every tree is watched again (new ones may have been missed). */
    private void rescanTrees(List<Event> batch) {
        List<Path> roots;
        synchronized (this) {
            roots = new ArrayList<>(trees);
        }
        for (Path r : roots) {
            try {
                add(r, true);
            } catch (IOException e) {
                LOG.log(Level.FINE, "cannot watch " + r, e);
            }
            addBelow(r, null);
        }
    }

    /** Stops the thread and closes the descriptor; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Pointer one = Memory.allocateDirect(runtime, 1);
        libc.write(wakeup[1], one, 1);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        libc.close(fd);
        libc.close(wakeup[0]);
        libc.close(wakeup[1]);
    }
}
