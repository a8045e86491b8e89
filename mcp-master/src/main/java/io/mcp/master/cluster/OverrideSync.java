package io.mcp.master.cluster;

import io.mcp.core.digest.Md5;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.FileSpace;
import io.mcp.core.os.FileWatch;
import io.mcp.core.paths.Directories;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.xml.XmlException;
import io.mcp.core.xml.XmlFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Keeps every regular file under {@code override/} identical on every node of the cluster,
 * through one znode per file under {@link ZkLayout#overridesPath()}.
 *
 * <p>Every decision is taken per file on one thread, the sync thread, by comparing three
 * states: the local file, the {@link Mlist} entry (the last state this node and the cluster
 * agreed on), and the znode. Only the local file differs from the entry: it is published with a
 * compare-and-set on the znode version. Only the znode differs: it is written locally (temporary
 * file and rename). Both differ with different content: the cluster wins, and the local
 * content is kept in {@code var/conflicts/} with a {@code conflict} warning event. Because the
 * decision is by content against the mlist, a write that came from the cluster is never
 * published back, and a local publish is never applied again.
 *
 * <p>Triggers: local file events (a file renamed into place, closed after writing, or deleted at
 * once; one being written once it has been quiet for a moment), a periodic local pass, a
 * persistent recursive watch of the znodes, and every (re)connection, once that watch is set
 * again, which reconciles every file ({@link #inSync()} turns true when that finished). Files
 * whose names start with {@code .} are temporary and ignored.
 *
 * <p>One ZooKeeper round trip per hop: a local change is published with a compare-and-set
 * against the version the mlist agreed on, without reading the znode first (ZooKeeper is read
 * only when that fails), and a change from the cluster is read once, as its event comes, and
 * applied from what was read, unless the mlist shows it stale (its {@code mzxid} is not newer
 * than the one agreed: an event overtaken). A node's own publication is not read back: its event
 * names the transaction that fired it, which the mlist already agreed on. A written file, its
 * directory and then the mlist are made durable right after, off the way from the znode to the
 * written file and its {@link WriteListener}: the mlist never records a write before the disk
 * holds it. A file torn by a crash of the machine in that window differs from both the mlist and
 * the znode, so the cluster wins and restores it (the torn content is kept aside as a conflict);
 * it is never published, since the compare-and-set against the version the mlist agreed on fails.
 */
public final class OverrideSync implements AutoCloseable {
    /** The largest file published: below ZooKeeper's default jute.maxbuffer of 1 MiB. */
    public static final int MAX_BYTES = 1_000_000;
    /** How often the local tree is compared with the mlist when no file event came. */
    static final long PERIODIC_MS = 3000;
    private final long periodicMs;
    private static final long DEBOUNCE_MS = 15;
    /**
     * How long after a write the directory is synced and the mlist saved: after the other nodes
     * have had the change (on one disk, their fsyncs would otherwise wait behind these).
     */
    private static final long FLUSH_DELAY_MS = 100;
    /** The most replaced files held open until a flush (see {@link #holdReplaced}). */
    private static final int MAX_HELD = 16;
    /** What the temporary file made ahead has reserved: an override is most often one block or less. */
    private static final long TMP_RESERVED = 4096;
    private static final String SOURCE = NodePaths.MASTER;
    private static final Logger LOG = Logger.getLogger(OverrideSync.class.getName());

    private enum State { LATENT, STARTED, CLOSED }

    private final NodePaths paths;
    private final Path root;
    private final ClusterNode node;
    private final CuratorFramework client;
    private final ZkLayout layout;
    private final String cluster;
    private final String nodeId;
    private final EventLog events;
    private final Clock clock;
    private final Consumer<Path> durable;
    /** The persistent recursive watch of the overrides' znodes, set on the session's own handle. */
    private final Watcher znodeWatch = this::znodeEvent;
    /** Znodes this node is publishing: the event of its own write may come before the write's answer. */
    private final Set<String> publishing = ConcurrentHashMap.newKeySet();
    private final AtomicLong znodeReads = new AtomicLong();
    private final ScheduledExecutorService thread;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private final AtomicBoolean echoPassQueued = new AtomicBoolean();
    private final AtomicBoolean filesPassQueued = new AtomicBoolean();
    private final Set<Path> pendingFiles = ConcurrentHashMap.newKeySet();
    /** Files this node is renaming into place from the cluster: their rename's event is our own. */
    private final Set<Path> echoes = ConcurrentHashMap.newKeySet();
    private final Object quietLock = new Object();
    private ScheduledFuture<?> quietPass; // guarded by quietLock
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private final org.apache.curator.framework.state.ConnectionStateListener connectionListener =
            this::connectionChanged;
    private TreeWatch watch;
    private volatile Predicate<String> localOnly = rel -> false;
    private volatile PublishListener publishListener;
    private volatile WriteListener writeListener;
    /** The local mlist as last saved, for readers on other threads. */
    private volatile Map<String, Mlist.Entry> mlistView = Map.of();

    // Owned by the sync thread.
    private final Map<String, Mlist.Entry> mlist = new TreeMap<>();
    private final Map<String, Seen> seen = new HashMap<>();
    private final Map<String, Long> oversized = new HashMap<>();
    private boolean connected;
    /** The ensemble refused the watch as unknown: said once. */
    private boolean watchRefused;
    private volatile boolean inSync;
    private boolean flushQueued;
    private boolean mlistDirty;
    /** {@code var/} proved to be another file system than a written file's: temporary files go beside it. */
    private boolean tmpBesideFile;
    private final Set<Path> filesToSync = new HashSet<>();
    private final Set<Path> dirsToSync = new HashSet<>();
    /** The files that writes from the cluster replaced, open until the next flush frees them. */
    private final List<FileChannel> replaced = new ArrayList<>();

    /** What a local file looked like when it was last hashed, to skip hashing when it did not change. */
    private record Seen(Object key, long mtime, long size, String md5) {
    }

    /**
     * A znode's content, version and the zxid that last changed it; null when there is none. The
     * data is null when the znode is only assumed to hold what the mlist agreed on.
     */
    private record Remote(byte[] data, int version, String md5, long mzxid) {
    }

    /** Told, on the sync thread, every file this node wrote from the cluster; must not block. */
    public interface WriteListener {
        /**
         * {@code file} (absolute) now holds content {@code md5}; {@code written} are its attributes as
         * written (file key, modification time, size), to know it again without hashing it.
         */
        void written(Path file, BasicFileAttributes written, String md5);
    }

    /** Read the znode: nothing is known or assumed about it. */
    private static final Remote READ = new Remote(null, -1, null, -1);

    /**
     * @param paths this node's layout: {@code override/} is synchronised, the mlist and conflicts
     *     live under {@code var/}
     * @param node the cluster node whose session and layout are used
     * @param events where conflicts and refused files are reported
     * @param clock for the mlist timestamps and conflict file names
     */
    public OverrideSync(NodePaths paths, ClusterNode node, EventLog events, Clock clock) {
        this(paths, node, events, clock, PERIODIC_MS);
    }

    /** For tests: with another interval of the periodic pass, to tell it apart from file events. */
    OverrideSync(NodePaths paths, ClusterNode node, EventLog events, Clock clock, long periodicMs) {
        this(paths, node, events, clock, periodicMs, OverrideSync::fsync);
    }

    /** @param durable makes a written file or a directory durable (tests see the order of these calls) */
    OverrideSync(NodePaths paths, ClusterNode node, EventLog events, Clock clock, long periodicMs,
            Consumer<Path> durable) {
        this.durable = durable;
        this.periodicMs = periodicMs;
        this.paths = paths;
        this.root = paths.overrideDir().toAbsolutePath().normalize(); // so that fileOf's containment check holds
        this.node = node;
        this.client = node.client();
        this.layout = node.layout();
        this.cluster = node.config().name();
        this.nodeId = node.config().nodeId();
        this.events = events;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "override-sync");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Files under {@code override/} that stay on this node: neither published nor overwritten from
     * the cluster ({@code files.d} definitions with {@code notify="0"}). Relative paths, {@code /}.
     */
    public void keepLocal(Predicate<String> relativePaths) {
        localOnly = relativePaths;
    }

    /** Sets the one listener told what this node writes from the cluster (the config watch); before {@link #start()}. */
    public void setWriteListener(WriteListener listener) {
        this.writeListener = listener;
    }

    /** Sets the one listener told what this node publishes (the master mlist's keeper); before {@link #start()}. */
    public void setPublishListener(PublishListener listener) {
        this.publishListener = listener;
    }

    /**
     * The local mlist as last saved, by relative path; the entries must not be changed. Safe from
     * any thread.
     */
    public Map<String, Mlist.Entry> mlist() {
        return mlistView;
    }

    /** The cluster this node synchronises with. */
    public String cluster() {
        return cluster;
    }

    /** Adds a listener told, on the sync thread, every time {@link #inSync()} changes. */
    public void addListener(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    /**
     * True once every file was reconciled with the cluster while connected; false from a
     * suspended or lost connection until the next full reconcile completes.
     */
    public boolean inSync() {
        return inSync;
    }

    /** Loads the mlist, starts watching {@code override/} and ZooKeeper; returns at once. */
    public void start() throws IOException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("override sync cannot start: it is " + state.get());
        }
        Files.createDirectories(root);
        loadMlist();
        watch = new TreeWatch(root, this::localEvents);
        client.getConnectionStateListenable().addListener(connectionListener, thread);
        node.whenEnsembleChecked(() -> onThread(this::setWatch)); // persistent watches need ZooKeeper 3.6
        thread.scheduleWithFixedDelay(() -> guarded(this::localPass), periodicMs, periodicMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        if (previous == State.STARTED) {
            client.getConnectionStateListenable().removeListener(connectionListener);
            removeWatch();
            watch.close();
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inSync = false;
    }

    // ---- triggers, any thread ----

    /**
     * A file renamed into place (an editor, {@code mcpctl}), closed after writing, or deleted is
     * compared with the mlist at once, alone; one still being written, by a pass over everything
     * once it has been quiet for {@link #DEBOUNCE_MS}. Names starting with {@code .} (temporary
     * files) trigger nothing; an overflow or a directory created, renamed or deleted is a pass
     * over everything at once. The rename of a file this node wrote from the cluster
     * is looked at {@link #FLUSH_DELAY_MS} later, not while the other nodes apply the same change
     * on the same cores (fifty nodes in one JVM spent a tenth of their CPU on these passes).
     */
    private void localEvents(List<FileWatch.Event> batch) {
        boolean all = false;
        boolean echo = false;
        Set<Path> files = new HashSet<>();
        Set<Path> writing = new HashSet<>();
        for (FileWatch.Event e : batch) {
            if (e.kind() == FileWatch.Kind.OVERFLOW) {
                all = true;
                continue;
            }
            if (hidden(e.path())) {
                continue;
            }
            if (e.directory() && e.kind() != FileWatch.Kind.MODIFY && e.kind() != FileWatch.Kind.ATTRIB) {
                all = true; // a directory created or renamed in may hold files already; one renamed away did
                continue;
            }
            switch (e.kind()) {
                case MOVED_TO -> {
                    if (echoes.remove(e.path())) {
                        echo = true;
                    } else {
                        files.add(e.path());
                    }
                }
                case MOVED_FROM, DELETE, CLOSE_WRITE -> files.add(e.path());
                case CREATE, MODIFY, ATTRIB -> writing.add(e.path()); // a file being written in place
                case OVERFLOW -> { } // a pass over everything, above
            }
        }
        if (all) {
            queuePass();
            return;
        }
        writing.removeAll(files);
        if (!files.isEmpty()) {
            queueFilesPass(files);
        }
        if (!writing.isEmpty()) {
            queueQuietPass();
        }
        if (echo && echoPassQueued.compareAndSet(false, true)) {
            try {
                thread.schedule(() -> {
                    echoPassQueued.set(false);
                    guarded(this::localPass);
                }, FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // closed
            }
        }
    }

    private boolean hidden(Path path) {
        if (path == null || !path.startsWith(root)) {
            return false;
        }
        for (Path segment : root.relativize(path)) {
            if (segment.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private void queuePass() {
        if (passQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    passQueued.set(false);
                    guarded(this::localPass);
                });
            } catch (RejectedExecutionException closed) {
                // closed
            }
        }
    }

    /** A pass over {@code files} only, with any other files named meanwhile. */
    private void queueFilesPass(Set<Path> files) {
        pendingFiles.addAll(files);
        if (filesPassQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    filesPassQueued.set(false);
                    Set<Path> named = new TreeSet<>();
                    for (Iterator<Path> i = pendingFiles.iterator(); i.hasNext(); ) {
                        named.add(i.next());
                        i.remove();
                    }
                    guarded(() -> localPass(named));
                });
            } catch (RejectedExecutionException closed) {
                // closed
            }
        }
    }

    private void queueQuietPass() {
        synchronized (quietLock) {
            if (quietPass != null) {
                quietPass.cancel(false);
            }
            try {
                quietPass = thread.schedule(() -> guarded(this::localPass), DEBOUNCE_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // closed
            }
        }
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(() -> guarded(task));
        } catch (RejectedExecutionException closed) {
            // closed: nothing to synchronise any more
        }
    }

    private void guarded(Runnable task) {
        if (state.get() != State.STARTED) {
            return;
        }
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "override sync task failed", e);
        }
    }

    // ---- on the sync thread ----

    private void connectionChanged(CuratorFramework ignored, ConnectionState newState) {
        if (state.get() != State.STARTED) {
            return;
        }
        connected = newState.isConnected() && newState != ConnectionState.READ_ONLY;
        if (connected && node.ensembleChecked()) {
            setWatch(); // then everything is reconciled
        } else if (!connected) {
            setInSync(false);
        }
    }

    /**
     * Sets the watch of the overrides' znodes on the session's ZooKeeper handle, at the start and on
     * every (re)connection: a new session (after an expiry) has no watches, and within one session
     * setting it again changes nothing. The handle's own events say which transaction fired them
     * (ZooKeeper 3.9); Curator's recipes leave that out.
     */
    private void setWatch() {
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            zk.addWatch(layout.overridesPath(), znodeWatch, AddWatchMode.PERSISTENT_RECURSIVE,
                    (rc, path, ctx) -> onThread(() -> watchSet(rc)), null);
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot watch " + layout.overridesPath() + " yet; the next connection will", e);
        }
    }

    /**
     * The watch was set, or not ({@code rc}): once set, every file is reconciled, which catches up
     * with whatever changed before the watch was in place. Once in sync, the watch set again within
     * the same session (the start may see two) has nothing to catch up with.
     */
    private void watchSet(int rc) {
        KeeperException.Code code = KeeperException.Code.get(rc);
        if (code == KeeperException.Code.OK) {
            if (!inSync && client.getZookeeperClient().isConnected()) {
                connected = true;
                reconcileAll();
            }
        } else if (code == KeeperException.Code.UNIMPLEMENTED) {
            if (!watchRefused) {
                watchRefused = true;
                events.alert(SOURCE, "override", "the ZooKeeper ensemble cannot watch " + layout.overridesPath()
                        + " (persistent watches need ZooKeeper 3.6 or later): overrides are not synchronised;"
                        + " trying again every minute");
            }
            retryWatch(60);
        } else if (code != KeeperException.Code.CONNECTIONLOSS && code != KeeperException.Code.SESSIONEXPIRED) {
            LOG.warning("cannot watch " + layout.overridesPath() + " (" + code + "); trying again");
            retryWatch(1);
        } // else the next connection sets it
    }

    private void retryWatch(long seconds) {
        try {
            thread.schedule(() -> guarded(() -> {
                if (!inSync && client.getZookeeperClient().isConnected()) {
                    setWatch();
                }
            }), seconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException closed) {
            // closed
        }
    }

    /** Removes the watch from the session, which may outlive this sync; without waiting for an answer. */
    private void removeWatch() {
        try {
            client.getZookeeperClient().getZooKeeper().removeWatches(layout.overridesPath(), znodeWatch,
                    Watcher.WatcherType.Any, true, (rc, path, ctx) -> { }, null);
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot remove the watch of " + layout.overridesPath(), e);
        }
    }

    /**
     * On the ZooKeeper client's event thread, which must not block: a znode under the overrides was
     * created, changed or deleted. A created or changed one is read at once, in the background, and
     * what was read goes to the sync thread; a deletion goes there as it is. An event this node's
     * mlist has already agreed on (its own publication: the event says which transaction fired it)
     * is not read; one that may be its publication still waiting for its answer goes to the sync
     * thread, which decides once the answer is recorded.
     */
    private void znodeEvent(WatchedEvent event) {
        if (state.get() != State.STARTED) {
            return;
        }
        String path = event.getPath();
        String name = ZkLayout.childName(layout.overridesPath(), path);
        if (name == null) {
            return; // the overrides' own znode, or a name no file has
        }
        switch (event.getType()) {
            case NodeCreated, NodeDataChanged -> {
                long zxid = event.getZxid();
                if (zxid == WatchedEvent.NO_ZXID) {
                    read(path);
                } else if (publishing.contains(path)) {
                    onThread(() -> {
                        if (!agreedOn(name, zxid)) {
                            read(path);
                        }
                    });
                } else if (!agreedOn(name, zxid)) {
                    read(path);
                }
            }
            case NodeDeleted -> onThread(() -> remoteRead(path, KeeperException.Code.NONODE.intValue(), null, null));
            default -> { }
        }
    }

    /** Whether the mlist agreed on the znode {@code name} as of transaction {@code zxid} or later. Any thread. */
    private boolean agreedOn(String name, long zxid) {
        try {
            Mlist.Entry e = mlistView.get(ZkLayout.decodeOverride(name));
            return e != null && e.mzxid != null && zxid <= e.mzxid;
        } catch (IllegalArgumentException refused) {
            return false; // read, and refused there with a warning
        }
    }

    /**
     * Reads a znode in the background, on the session's handle as the watch (Curator's background
     * operations cost more, for a read whose failure the next reconcile covers anyway); the sync
     * thread gets what was read.
     */
    private void read(String path) {
        znodeReads.incrementAndGet();
        try {
            client.getZookeeperClient().getZooKeeper().getData(path, false,
                    (rc, p, ctx, data, stat) -> onThread(() -> remoteRead(path, rc, data, stat)), null);
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot read " + path + "; the reconcile on reconnection will", e);
        }
    }

    /** A znode as read after its event: {@code rc} says whether it was read, or is deleted. */
    private void remoteRead(String path, int rc, byte[] data, Stat stat) {
        if (!connected) {
            return; // the reconcile on reconnection covers it
        }
        String name = ZkLayout.childName(layout.overridesPath(), path);
        String rel = name == null ? null : decode(name);
        if (rel == null) {
            return;
        }
        Mlist.Entry entry = mlist.get(rel);
        if (rc != KeeperException.Code.OK.intValue() || (entry != null && entry.mzxid == null)) {
            // Deleted, not read, or no zxid to order the event by: ZooKeeper is read, so a stale event changes nothing.
            reconcileOne(rel, READ);
            return;
        }
        if (entry != null && stat.getMzxid() <= entry.mzxid) {
            return; // what this node agreed on already (its own publication), or older: nothing new
        }
        byte[] bytes = data == null ? new byte[0] : data;
        reconcileOne(rel, new Remote(bytes, stat.getVersion(), Md5.of(bytes), stat.getMzxid()));
    }

    /** Compares the local tree with the mlist; reconciles only the files that differ. */
    private void localPass() {
        if (!connected) {
            return; // the reconcile on reconnection covers every local change
        }
        Map<String, String> local = scanLocal();
        Set<String> differ = new TreeSet<>();
        local.forEach((rel, md5) -> {
            Mlist.Entry e = mlist.get(rel);
            if (e == null || !e.md5.equals(md5)) {
                differ.add(rel);
            }
        });
        for (String rel : mlist.keySet()) {
            if (!local.containsKey(rel)) {
                differ.add(rel);
            }
        }
        for (String rel : differ) {
            // The cluster is assumed to hold what was agreed: the compare-and-set tells if not.
            if (!reconcileOne(rel, assumed(rel))) {
                return;
            }
        }
    }

    /**
     * As {@link #localPass()}, for the files named only: an edit of one file is compared and
     * published without walking the whole tree first (the writer's walk took ~0.7 ms of CPU before
     * its publication, interpreted). What else differs is left to the periodic pass.
     */
    private void localPass(Set<Path> files) {
        if (!connected) {
            return;
        }
        for (Path file : files) {
            String rel = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
            String md5 = localMd5(file, rel);
            Mlist.Entry e = mlist.get(rel);
            if (md5 == null ? e != null : e == null || !e.md5.equals(md5)) {
                if (!reconcileOne(rel, assumed(rel))) {
                    return;
                }
            }
        }
    }

    private void reconcileAll() {
        setInSync(false);
        Set<String> all = new TreeSet<>(mlist.keySet());
        all.addAll(scanLocal().keySet());
        try {
            for (String child : client.getChildren().forPath(layout.overridesPath())) {
                String rel = decode(child);
                if (rel != null) {
                    all.add(rel);
                }
            }
        } catch (KeeperException.NoNodeException e) {
            // no override published yet
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot list the overrides; trying again", e);
            retryAll();
            return;
        }
        for (String rel : all) {
            if (!reconcileOne(rel, READ)) {
                retryAll();
                return;
            }
        }
        if (connected && state.get() == State.STARTED) {
            // The master mlist's repair is queued before anyone can see this node in sync.
            PublishListener l = publishListener;
            if (l != null) {
                l.reconciled();
            }
            setInSync(true);
        }
    }

    /**
     * A reconcile that failed while the connection looked up (an error that was not a
     * disconnection) is tried again soon; after a disconnection, reconnecting does it.
     */
    private void retryAll() {
        try {
            thread.schedule(() -> guarded(() -> {
                if (connected && !inSync) {
                    reconcileAll();
                }
            }), 1, TimeUnit.SECONDS);
        } catch (RejectedExecutionException closed) {
            // closed
        }
    }

    private void setInSync(boolean now) {
        if (inSync == now) {
            return;
        }
        inSync = now;
        LOG.info("overrides " + (now ? "in sync with" : "not in sync with") + " cluster " + cluster);
        for (Consumer<Boolean> l : listeners) {
            try {
                l.accept(now);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "an override sync listener failed", e);
            }
        }
    }

    /** What the cluster holds of {@code rel} if nothing changed since the mlist's agreement. */
    private Remote assumed(String rel) {
        Mlist.Entry e = mlist.get(rel);
        return e == null ? null : new Remote(null, e.revision, e.md5, e.mzxid == null ? -1 : e.mzxid);
    }

    /**
     * Brings one file into agreement with the cluster, starting from {@code known} (what was read
     * after an event, or what the mlist agreed on; {@link #READ} to read it). Returns false when ZooKeeper
     * could not be reached: the reconcile on reconnection takes over.
     */
    private boolean reconcileOne(String rel, Remote known) {
        // A lost compare-and-set is retried with what ZooKeeper holds now, then it is a conflict.
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                if (reconcileOnce(rel, attempt == 0 ? known : READ)) {
                    return true;
                }
            } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException e) {
                LOG.log(Level.FINE, "ZooKeeper away while reconciling " + rel, e);
                return false;
            } catch (IOException e) {
                events.warning(SOURCE, "override", "cannot synchronise override/" + rel + ": " + e.getMessage());
                return true;
            } catch (KeeperException e) {
                LOG.log(Level.WARNING, "cannot reconcile override/" + rel + "; trying again later", e);
                return false;
            } catch (Exception e) {
                // This file only (a name too long to publish, say): the others still go through.
                LOG.log(Level.WARNING, "cannot reconcile override/" + rel, e);
                return true;
            }
        }
        return true;
    }

    /** One attempt; false when a compare-and-set lost the race and the attempt must be repeated. */
    private boolean reconcileOnce(String rel, Remote known) throws Exception {
        if (localOnly.test(rel)) {
            return true;
        }
        Path file = fileOf(rel);
        try {
            ZkLayout.encodeOverride(rel);
        } catch (IllegalArgumentException e) {
            reportRefused(rel, -1, e.getMessage());
            return true;
        }
        long size = sizeOf(file);
        if (size > MAX_BYTES) {
            reportOversized(rel, size);
            return true; // stays local and untouched, and its znode (if any) is not applied over it
        }
        oversized.remove(rel);
        byte[] localData = size < 0 ? null : readLocal(file);
        String localMd5 = localData == null ? null : Md5.of(localData);
        Remote remote = known == READ ? readRemote(rel) : known;
        Mlist.Entry entry = mlist.get(rel);
        String agreed = entry == null ? null : entry.md5;
        String remoteMd5 = remote == null ? null : remote.md5;
        boolean localChanged = !Objects.equals(localMd5, agreed);
        boolean remoteChanged = !Objects.equals(remoteMd5, agreed);

        if (Objects.equals(localMd5, remoteMd5)) {
            // Agreement, whoever made it: record it (a new version of the same content too).
            if (remote == null) {
                forget(rel);
            } else if (entry == null || entry.revision != remote.version || localChanged
                    || (remote.mzxid >= 0 && !Objects.equals(entry.mzxid, remote.mzxid))) {
                agree(rel, localMd5, remote.version, remote.mzxid);
            }
            return true;
        }
        if (localChanged && !remoteChanged) {
            return publish(rel, localData, localMd5, entry);
        }
        if (localChanged) {
            keepAside(rel, localData, remote);
        }
        apply(rel, file, remote);
        return true;
    }

    private boolean publish(String rel, byte[] data, String md5, Mlist.Entry entry) throws Exception {
        String znode = layout.overrideFile(rel);
        publishing.add(znode);
        try {
            if (data == null) {
                client.delete().withVersion(entry.revision).forPath(znode);
                forget(rel);
                LOG.info("published the deletion of override/" + rel);
                tellDeleted(rel);
            } else if (entry == null) {
                Stat stat = new Stat();
                client.create().storingStatIn(stat).creatingParentsIfNeeded().forPath(znode, data);
                agree(rel, md5, stat.getVersion(), stat.getMzxid());
                LOG.info("published override/" + rel);
                tellPublished(rel, md5, stat.getVersion());
            } else {
                Stat stat = client.setData().withVersion(entry.revision).forPath(znode, data);
                agree(rel, md5, stat.getVersion(), stat.getMzxid());
                LOG.info("published override/" + rel + " (version " + stat.getVersion() + ")");
                tellPublished(rel, md5, stat.getVersion());
            }
            return true;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                | KeeperException.NoNodeException lost) {
            // Another node wrote first: the next attempt sees its version and resolves the conflict.
            LOG.info("override/" + rel + " changed in the cluster meanwhile (" + lost.code() + ")");
            return false;
        } finally {
            publishing.remove(znode); // after the mlist recorded what was published
        }
    }

    private void tellPublished(String rel, String md5, int revision) {
        PublishListener l = publishListener;
        if (l != null) {
            l.published(rel, md5, revision);
        }
    }

    private void tellDeleted(String rel) {
        PublishListener l = publishListener;
        if (l != null) {
            l.deleted(rel);
        }
    }

    /** Makes the local file what the cluster holds (null: no file). */
    private void apply(String rel, Path file, Remote remote) throws IOException {
        // A symbolic link to a directory inside override/ would carry the write outside it.
        for (Path dir = file.getParent(); dir != null && !dir.equals(root); dir = dir.getParent()) {
            if (Files.isSymbolicLink(dir)) {
                throw new IOException(dir + " is a symbolic link; not writing through it");
            }
        }
        if (remote == null) {
            Files.deleteIfExists(file);
            seen.remove(rel);
            forget(rel);
            LOG.info("override/" + rel + " deleted, as in the cluster");
            return;
        }
        echoes.add(file);
        BasicFileAttributes written;
        try {
            written = writeAtomically(file, remote.data);
        } catch (IOException e) {
            echoes.remove(file); // no rename of ours to come: the next one there is someone else's
            throw e;
        }
        // Known as written: the echo of this rename in the local watch hashes nothing.
        seen.put(rel, new Seen(written.fileKey(), written.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                written.size(), remote.md5));
        WriteListener l = writeListener;
        if (l != null) {
            try {
                l.written(file, written, remote.md5);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a write listener failed", e);
            }
        }
        agree(rel, remote.md5, remote.version, remote.mzxid);
        LOG.info("override/" + rel + " written from the cluster (version " + remote.version + ")");
    }

    /** Keeps the losing local content of a conflict in {@code var/conflicts/} and says so. */
    private void keepAside(String rel, byte[] localData, Remote remote) throws IOException {
        if (localData == null) {
            // A local deletion lost: nothing to keep, the cluster's content comes back.
            events.warning(SOURCE, "conflict", "override/" + rel + " was deleted here while the cluster changed it;"
                    + " the cluster's version is restored");
            return;
        }
        Path dir = paths.varDir().resolve("conflicts");
        Files.createDirectories(dir);
        Path aside = dir.resolve(ZkLayout.encodeOverride(rel) + "." + nodeId + "." + clock.millis());
        writeAtomically(aside, localData);
        events.warning(SOURCE, "conflict", "override/" + rel + " was changed here and in the cluster; the cluster's "
                + (remote == null ? "deletion" : "version") + " wins, this node's content is kept in " + aside);
    }

    private void reportOversized(String rel, long size) {
        reportRefused(rel, size, "it is " + size + " bytes, over the limit of " + MAX_BYTES + " bytes");
    }

    /** An error event for a file that cannot be published, once until it changes. */
    private void reportRefused(String rel, long size, String why) {
        if (Objects.equals(oversized.put(rel, size), size)) {
            return; // said already
        }
        events.alert(SOURCE, "override", "override/" + rel + " is not published to the cluster: " + why
                + "; it stays on this node only");
    }

    private void agree(String rel, String md5, int revision, long mzxid) {
        Mlist.Entry e = new Mlist.Entry();
        e.path = rel;
        e.md5 = md5;
        e.timestamp = clock.millis();
        e.revision = revision;
        e.mzxid = mzxid < 0 ? null : mzxid;
        e.cluster = cluster;
        mlist.put(rel, e);
        mlistChanged();
    }

    private void forget(String rel) {
        if (mlist.remove(rel) != null) {
            mlistChanged();
        }
    }

    /**
     * The mlist changed: readers see it at once, the file is saved {@link #FLUSH_DELAY_MS} later
     * (several agreements in a row are one save), after the files written meanwhile and their
     * directories were synced, so that it never records a write the disk could lose. Until then it
     * may lag behind: a reconcile after a crash finds the local file and the znode equal and
     * records their agreement again.
     */
    private void mlistChanged() {
        mlistView = java.util.Collections.unmodifiableMap(new TreeMap<>(mlist));
        mlistDirty = true;
        queueFlush();
    }

    private void queueFlush() {
        if (flushQueued) {
            return;
        }
        flushQueued = true;
        try {
            // Not guarded: what was agreed before close() is still saved (a delayed task still runs after shutdown()).
            thread.schedule(this::flush, FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            flush();
        }
    }

    private void flush() {
        flushQueued = false;
        for (FileChannel old : replaced) {
            try {
                old.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "cannot close a replaced file", e);
            }
        }
        replaced.clear();
        boolean wrote = !filesToSync.isEmpty();
        // The content first, then the renames: the mlist saved next may then record them.
        for (Path file : filesToSync) {
            durable.accept(file);
        }
        filesToSync.clear();
        for (Path dir : dirsToSync) {
            durable.accept(dir);
        }
        dirsToSync.clear();
        if (mlistDirty) {
            mlistDirty = false;
            try {
                saveMlist();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot save " + paths.mlist(), e);
            }
        }
        if (wrote) {
            prepareTmp(); // for the next write from the cluster
        }
    }

    /** Makes a written file's content or a directory's entries durable; one deleted since has none to lose. */
    static void fsync(Path fileOrDir) {
        try (FileChannel ch = FileChannel.open(fileOrDir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException gone) {
            // deleted since
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot fsync " + fileOrDir, e);
        }
    }

    // ---- ZooKeeper ----

    private Remote readRemote(String rel) throws Exception {
        Stat stat = new Stat();
        try {
            byte[] data = client.getData().storingStatIn(stat).forPath(layout.overrideFile(rel));
            data = data == null ? new byte[0] : data;
            return new Remote(data, stat.getVersion(), Md5.of(data), stat.getMzxid());
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    /** The relative path of a znode name, or null (with a warning) when it is refused. */
    private String decode(String name) {
        try {
            String rel = ZkLayout.decodeOverride(name);
            fileOf(rel);
            return rel;
        } catch (IllegalArgumentException e) {
            // The message shows the name with control characters masked; the raw name is not logged.
            LOG.warning("ignoring a znode under " + layout.overridesPath() + ": " + e.getMessage());
            return null;
        }
    }

    // ---- the local tree ----

    /** The file of a relative path, which must lie under {@code override/}. */
    private Path fileOf(String rel) {
        Path file = root.resolve(rel).normalize();
        if (!file.startsWith(root) || file.equals(root)) {
            throw new IllegalArgumentException("override path outside override/: " + rel);
        }
        return file;
    }

    /** Every regular, non-hidden file under {@code override/}, by relative path, with its md5. */
    private Map<String, String> scanLocal() {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.forEach(f -> {
                Path relPath = root.relativize(f);
                if (relPath.toString().isEmpty()) {
                    return;
                }
                for (Path segment : relPath) {
                    if (segment.toString().startsWith(".")) {
                        return; // temporary files, and whatever is under a hidden directory
                    }
                }
                String rel = relPath.toString().replace(f.getFileSystem().getSeparator(), "/");
                String md5 = localMd5(f, rel);
                if (md5 != null) {
                    found.put(rel, md5);
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(Level.FINE, "cannot walk " + root, e);
        }
        return found;
    }

    /** The md5 of a regular file, hashed only if it changed since it was last seen; null for no regular file. */
    private String localMd5(Path f, String rel) {
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return null;
            }
            Seen s = seen.get(rel);
            // Nanoseconds: two writes of one size within a millisecond must still differ.
            long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            if (s == null || !Objects.equals(s.key(), a.fileKey()) || s.mtime() != mtime || s.size() != a.size()) {
                String md5 = a.size() > MAX_BYTES ? "oversized:" + a.size() + ":" + mtime
                        : Md5.of(Files.readAllBytes(f));
                s = new Seen(a.fileKey(), mtime, a.size(), md5);
                seen.put(rel, s);
            }
            return s.md5();
        } catch (NoSuchFileException gone) {
            seen.remove(rel);
            return null;
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot read " + f, e);
            return null;
        }
    }

    private static byte[] readLocal(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return null;
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The size of a regular file, -1 when there is none. */
    private static long sizeOf(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() ? a.size() : -1;
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    /**
     * Temporary file, then rename; the file and its directory are synced by the next
     * {@link #flush()}, before the mlist records the write, and not here: an fsync takes a
     * millisecond of this disk, and every node applying the change would wait for it before its
     * change action. Returns the file's attributes as written.
     *
     * <p>The temporary file is {@code var/override-sync.tmp} (one write at a time, on the sync
     * thread; made ahead by the flush before, {@link #prepareTmp}), where no watch sees it being
     * created, written and renamed away: the watches of {@code override/} (this class's and the
     * change actions') see one rename into place. Where {@code var/} is another file system than
     * the file, the temporary file is beside it instead.
     */
    private BasicFileAttributes writeAtomically(Path file, byte[] data) throws IOException {
        Path dir = file.getParent();
        Directories.ensure(dir);
        Path beside = dir.resolve("." + file.getFileName() + ".sync.tmp");
        if (tmpBesideFile) {
            return writeAtomically(file, data, beside);
        }
        Path tmp = varTmp();
        try {
            return writeAtomically(file, data, tmp);
        } catch (AtomicMoveNotSupportedException otherFileSystem) {
            Files.deleteIfExists(tmp);
            tmpBesideFile = true; // the next writes do not try var/ first
            return writeAtomically(file, data, beside);
        }
    }

    private BasicFileAttributes writeAtomically(Path file, byte[] data, Path tmp) throws IOException {
        Directories.ensure(tmp.getParent());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.truncate(data.length); // what a crash left in a temporary file made ahead
        }
        // Taken before the rename, which keeps them: a later write by anyone else changes them.
        BasicFileAttributes written = Files.readAttributes(tmp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        holdReplaced(file);
        queueFlush(); // which closes what was held, whether the rename is done or fails
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        filesToSync.add(file);
        dirsToSync.add(file.getParent());
        return written;
    }

    /**
     * Keeps the file about to be replaced open until the next flush, which frees it: freed by the
     * rename itself (its blocks, its inode), it took 60 µs per node and write in the fifty-node
     * simulation, on the way to the change action. A regular file only: opening a FIFO would block.
     * A burst of writes (a reconcile after a partition) keeps a few only, not a descriptor each.
     */
    private void holdReplaced(Path file) {
        if (replaced.size() >= MAX_HELD) {
            return;
        }
        try {
            if (Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                replaced.add(FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
            }
        } catch (IOException none) {
            // nothing to keep: the rename frees nothing, or frees it itself
        }
    }

    private Path varTmp() {
        return paths.varDir().resolve("override-sync.tmp");
    }

    /**
     * Makes the next write's temporary file now, after a write's flush, rather than in the write, with
     * its first block reserved on disk. On the way to the change action, in the fifty-node
     * simulation, ext4 spent 80 µs per node and write creating it (without a journal, creating a
     * file passes over every inode freed in the last minute: each node frees two per write) and
     * 70 µs in the rename starting to write it back (a file renamed over another whose blocks are
     * still to be allocated is written back at once). Where the write cannot use {@code var/},
     * none is made.
     */
    private void prepareTmp() {
        if (tmpBesideFile) {
            return;
        }
        try {
            Directories.ensure(paths.varDir());
            FileSpace.reserve(varTmp(), TMP_RESERVED);
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.log(Level.FINE, "cannot make " + varTmp() + " ahead; the next write makes it", e);
        }
    }

    // ---- the mlist ----

    private void loadMlist() throws IOException {
        Path file = paths.mlist();
        if (!Files.exists(file)) {
            return;
        }
        try {
            Mlist m = XmlFiles.read(file, Mlist.class);
            for (Mlist.Entry e : m.files) {
                if (e.path == null || e.md5 == null || !cluster.equals(e.cluster)) {
                    continue; // an agreement with another cluster says nothing about this one
                }
                try {
                    ZkLayout.encodeOverride(e.path);
                    mlist.put(e.path, e);
                } catch (IllegalArgumentException bad) {
                    LOG.warning("mlist entry refused: " + bad.getMessage());
                }
            }
        } catch (XmlException e) {
            // Without the mlist every difference is a conflict the cluster wins; local content is kept aside.
            events.warning(SOURCE, "override", "cannot read " + file + ": " + e.getMessage()
                    + "; reconciling as if nothing had been agreed");
        }
        mlistView = java.util.Collections.unmodifiableMap(new TreeMap<>(mlist));
    }

    private void saveMlist() throws IOException {
        Mlist m = new Mlist();
        m.files.addAll(mlist.values());
        Path file = paths.mlist();
        Directories.ensure(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8)) {
            XmlFiles.write(m, w);
            w.flush();
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        mlistView = java.util.Collections.unmodifiableMap(new TreeMap<>(mlist));
    }

    /** For tests: waits until everything queued on the sync thread before this call has run. */
    void awaitQuiet(java.time.Duration timeout) throws Exception {
        thread.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** For tests: holds the sync thread until {@code release}, so that edits on two nodes race for one version. */
    void holdUntil(java.util.concurrent.CountDownLatch release) {
        thread.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** For tests: how many znodes were read after their events. */
    long znodeReads() {
        return znodeReads.get();
    }

    /** For tests: the mlist entry of a relative path, or null. */
    Mlist.Entry entry(String rel) throws Exception {
        return thread.submit(() -> mlist.get(rel)).get(30, TimeUnit.SECONDS);
    }
}
