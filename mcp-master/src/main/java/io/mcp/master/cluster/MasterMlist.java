package io.mcp.master.cluster;

import io.mcp.core.digest.Md5;
import io.mcp.core.xml.XmlException;
import io.mcp.core.xml.XmlFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster's master mlist: one znode, {@link ZkLayout#mlistPath()}, holding an {@link Mlist}
 * (the local mlist's XML) with an entry per override the cluster holds: path, md5, timestamp,
 * revision (the version of the override's znode), cluster, and the node that wrote the entry.
 *
 * <p>It never slows propagation: {@link OverrideSync} writes the override's znode first (the other
 * nodes apply it at once) and tells this class, which queues the change. {@link #BATCH_MS} later,
 * once the other nodes have had the change (its ZooKeeper writes, their fsyncs on the server and
 * its XML work would otherwise compete with theirs), on its own thread it then
 * takes the coordinator lock (a Curator {@link InterProcessMutex} on {@link ZkLayout#coordinatorLock()})
 * once for everything queued meanwhile, reads the mlist znode, merges, writes it with a
 * compare-and-set on its version, and releases the lock. The master mlist is changed only under
 * that lock.
 *
 * <p>Merging trusts ZooKeeper, never the queue: under the lock every queued override's znode is
 * read again, and its entry is written only if the znode still holds what this node published
 * (or is still gone, for a deletion). A newer change by another node is left to that node, whose
 * update necessarily comes later, so an entry never goes back to an older version. After every
 * full reconcile ({@link PublishListener#reconciled()}) the whole master mlist is compared with the
 * override znodes and repaired, which covers a node that published and crashed before its update;
 * a repair takes the lock only when it finds something to change. The master mlist last read or
 * written is kept with its bytes, so that reading the same bytes again does not parse them again.
 *
 * <p>What is read from ZooKeeper is bounded ({@link #MAX_BYTES}) and every path in it is checked as
 * {@link ZkLayout} checks override names; a refused entry is dropped.
 */
public final class MasterMlist implements PublishListener, AutoCloseable {
    /** The largest master mlist read or written: below ZooKeeper's default jute.maxbuffer of 1 MiB. */
    public static final int MAX_BYTES = 1_000_000;
    /** How long an update waits for the coordinator lock before it tries again later. */
    static final Duration LOCK_WAIT = Duration.ofSeconds(10);
    private static final long RETRY_MS = 1000;
    /** How long a publication waits before it is recorded, batching what is published meanwhile. */
    static final long BATCH_MS = 100;
    private static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");
    private static final Logger LOG = Logger.getLogger(MasterMlist.class.getName());
    private static final Path SOURCE = Path.of("zookeeper:mlist");

    private enum State { LATENT, STARTED, CLOSED }

    /** The master mlist as read: entries by path, and the znode's version (-1: no znode yet). */
    public record Snapshot(Map<String, Mlist.Entry> entries, int version) {
    }

    /** The master mlist cannot be read now, with the reason. */
    public static final class UnavailableException extends Exception {
        UnavailableException(String reason) {
            super(reason, null, false, false);
        }
    }

    /** What this node published and has not yet recorded: content and version, or a deletion. */
    private record Pending(String md5, int revision, boolean deleted) {
    }

    /** An override's znode as read: null when there is none. */
    private record Truth(String md5, int revision) {
    }

    /** A master mlist's bytes and their entries. */
    private record Parsed(byte[] data, Map<String, Mlist.Entry> entries) {
    }

    private final ClusterNode node;
    private final CuratorFramework client;
    private final ZkLayout layout;
    private final String cluster;
    private final String nodeId;
    private final Clock clock;
    private final InterProcessMutex lock;
    private final ScheduledExecutorService thread;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final AtomicLong writes = new AtomicLong();
    /** The last master mlist parsed or written: mostly what is read next, which then is not parsed again. */
    private volatile Parsed last = new Parsed(new byte[0], Map.of());

    // Guarded by this.
    private final Map<String, Pending> pending = new TreeMap<>();
    private boolean repairPending;
    private boolean flushQueued;
    private boolean busy;

    public MasterMlist(ClusterNode node, Clock clock) {
        this.node = node;
        this.client = node.client();
        this.layout = node.layout();
        this.cluster = node.config().name();
        this.nodeId = node.config().nodeId();
        this.clock = clock;
        this.lock = new InterProcessMutex(client, layout.coordinatorLock());
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "master-mlist");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("master mlist cannot start: it is " + state.get());
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        thread.shutdownNow(); // a wait for the lock ends; the lock's node goes with the session
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- PublishListener: on the sync thread, never blocking ----

    @Override
    public void published(String rel, String md5, int revision) {
        queue(rel, new Pending(md5, revision, false));
    }

    @Override
    public void deleted(String rel) {
        queue(rel, new Pending(null, -1, true));
    }

    @Override
    public void reconciled() {
        synchronized (this) {
            repairPending = true;
        }
        scheduleFlush(0);
    }

    private void queue(String rel, Pending p) {
        synchronized (this) {
            pending.put(rel, p);
        }
        scheduleFlush(BATCH_MS);
    }

    private void scheduleFlush(long delayMs) {
        synchronized (this) {
            if (flushQueued) {
                return;
            }
            flushQueued = true;
        }
        try {
            thread.schedule(this::flushQueue, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // closed
        }
    }

    // ---- on the master-mlist thread ----

    private void flushQueue() {
        Map<String, Pending> batch;
        boolean repair;
        synchronized (this) {
            flushQueued = false;
            batch = new TreeMap<>(pending);
            pending.clear();
            repair = repairPending;
            repairPending = false;
            busy = true;
        }
        try {
            flush(batch, repair);
        } finally {
            synchronized (this) {
                busy = false;
            }
        }
    }

    private void flush(Map<String, Pending> batch, boolean repair) {
        if (state.get() != State.STARTED || (batch.isEmpty() && !repair)) {
            return;
        }
        boolean done = false;
        try {
            done = update(batch, repair);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // closing
        } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException e) {
            LOG.log(Level.FINE, "ZooKeeper away while updating the master mlist", e);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot update the master mlist; trying again", e);
        }
        if (!done) {
            synchronized (this) {
                batch.forEach(pending::putIfAbsent); // a newer change queued meanwhile wins
                repairPending |= repair;
            }
            scheduleFlush(RETRY_MS);
        }
    }

    /** One batch; false when it must be tried again (the lock not had in time, the connection away). */
    private boolean update(Map<String, Pending> batch, boolean repair) throws Exception {
        if (!client.getZookeeperClient().isConnected()) {
            return false;
        }
        // A repair looks without the lock first: most of the time it finds nothing to change. This
        // node's own publications change the master mlist but when another node changed them since.
        if (repair && merge(readSnapshot().entries(), batch, true) == null) {
            return true;
        }
        if (!lock.acquire(LOCK_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.info("coordinator lock not had within " + LOCK_WAIT.toSeconds() + " s; the master mlist update waits");
            return false;
        }
        try {
            for (int attempt = 0; attempt < 5; attempt++) {
                Snapshot current = readSnapshot();
                Map<String, Mlist.Entry> merged = merge(current.entries(), batch, repair);
                if (merged == null) {
                    return true;
                }
                if (write(merged, current.version())) {
                    writes.incrementAndGet();
                    return true;
                }
                // Written by someone not holding the lock (a session that lost it): read it again.
            }
            return false;
        } finally {
            try {
                lock.release();
            } catch (Exception e) {
                LOG.log(Level.FINE, "releasing the coordinator lock (its node goes with the session)", e);
            }
        }
    }

    /**
     * The master mlist with this batch applied, from what the override znodes hold now; null when
     * nothing changes.
     */
    private Map<String, Mlist.Entry> merge(Map<String, Mlist.Entry> current, Map<String, Pending> batch,
            boolean repair) throws Exception {
        Map<String, Mlist.Entry> merged = new TreeMap<>(current);
        boolean changed = false;
        Map<String, Truth> truths = new HashMap<>();
        Set<String> rels = new TreeSet<>(batch.keySet());
        if (repair) {
            rels.addAll(current.keySet());
            rels.addAll(overrideNames());
        }
        for (String rel : rels) {
            truths.put(rel, readTruth(rel));
        }
        for (String rel : rels) {
            Truth truth = truths.get(rel);
            Pending p = batch.get(rel);
            Mlist.Entry entry = current.get(rel);
            boolean mine = p != null && (p.deleted() ? truth == null
                    : truth != null && truth.md5().equals(p.md5()) && truth.revision() == p.revision());
            if (!mine && !repair) {
                continue; // another node changed it since; its own update records that
            }
            if (truth == null) {
                changed |= merged.remove(rel) != null;
            } else if (entry == null || !truth.md5().equals(entry.md5) || truth.revision() != entry.revision
                    || !cluster.equals(entry.cluster)) {
                merged.put(rel, entry(rel, truth));
                changed = true;
            }
        }
        return changed ? merged : null;
    }

    private Mlist.Entry entry(String rel, Truth truth) {
        Mlist.Entry e = new Mlist.Entry();
        e.path = rel;
        e.md5 = truth.md5();
        e.timestamp = clock.millis();
        e.revision = truth.revision();
        e.cluster = cluster;
        e.node = nodeId;
        return e;
    }

    private Set<String> overrideNames() throws Exception {
        Set<String> rels = new TreeSet<>();
        try {
            for (String child : client.getChildren().forPath(layout.overridesPath())) {
                try {
                    rels.add(ZkLayout.decodeOverride(child));
                } catch (IllegalArgumentException refused) {
                    // OverrideSync reports it; it has no place in the master mlist either
                }
            }
        } catch (KeeperException.NoNodeException e) {
            // nothing published yet
        }
        return rels;
    }

    private Truth readTruth(String rel) throws Exception {
        Stat stat = new Stat();
        try {
            byte[] data = client.getData().storingStatIn(stat).forPath(layout.overrideFile(rel));
            return new Truth(Md5.of(data == null ? new byte[0] : data), stat.getVersion());
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    private Snapshot readSnapshot() throws Exception {
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(layout.mlistPath());
        } catch (KeeperException.NoNodeException e) {
            return new Snapshot(Map.of(), -1);
        }
        return new Snapshot(entries(data), stat.getVersion());
    }

    /** False when the version moved (or the znode appeared) since it was read. */
    private boolean write(Map<String, Mlist.Entry> entries, int version) throws Exception {
        byte[] data = toXml(entries);
        if (data.length > MAX_BYTES) {
            LOG.warning("the master mlist would be " + data.length + " bytes, over " + MAX_BYTES + "; not written");
            return true;
        }
        try {
            if (version < 0) {
                client.create().creatingParentsIfNeeded().forPath(layout.mlistPath(), data);
            } else {
                client.setData().withVersion(version).forPath(layout.mlistPath(), data);
            }
            last = new Parsed(data, Collections.unmodifiableMap(new TreeMap<>(entries)));
            LOG.fine("master mlist written: " + entries.size() + " entries");
            return true;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                | KeeperException.NoNodeException moved) {
            return false;
        }
    }

    // ---- reading for mcpctl, any thread ----

    /**
     * Reads the master mlist from ZooKeeper, waiting at most {@code timeout}.
     *
     * @throws UnavailableException when ZooKeeper cannot be asked or did not answer in time
     */
    public Snapshot read(Duration timeout) throws UnavailableException {
        if (!client.getZookeeperClient().isConnected()) {
            throw new UnavailableException("ZooKeeper is " + node.connectionState());
        }
        CompletableFuture<CuratorEvent> answer = new CompletableFuture<>();
        try {
            client.getData().inBackground((c, event) -> answer.complete(event)).forPath(layout.mlistPath());
            CuratorEvent event = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
            if (code == KeeperException.Code.NONODE) {
                return new Snapshot(Map.of(), -1);
            }
            if (code != KeeperException.Code.OK) {
                throw new UnavailableException("reading it failed: " + code.name().toLowerCase());
            }
            return new Snapshot(entries(event.getData()), event.getStat().getVersion());
        } catch (TimeoutException e) {
            throw new UnavailableException("ZooKeeper did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        } catch (ExecutionException e) {
            throw new UnavailableException(String.valueOf(e.getCause()));
        } catch (UnavailableException e) {
            throw e;
        } catch (Exception e) {
            throw new UnavailableException(e.toString());
        }
    }

    // ---- the document ----

    /** {@link #parse} of {@code data}, unless it is what was last parsed or written. */
    private Map<String, Mlist.Entry> entries(byte[] data) {
        byte[] bytes = data == null ? new byte[0] : data;
        Parsed p = last;
        if (!Arrays.equals(p.data(), bytes)) {
            p = new Parsed(bytes, Collections.unmodifiableMap(parse(bytes))); // shared by later readers
            last = p;
        }
        return p.entries();
    }

    /** The entries of a master mlist read from ZooKeeper; what is refused is dropped with a warning. */
    Map<String, Mlist.Entry> parse(byte[] data) {
        if (data == null || data.length == 0) {
            return Map.of();
        }
        if (data.length > MAX_BYTES) {
            LOG.warning("master mlist of " + data.length + " bytes is over " + MAX_BYTES + "; treated as empty");
            return Map.of();
        }
        Mlist m;
        try {
            m = XmlFiles.read(SOURCE, new ByteArrayInputStream(data), Mlist.class);
        } catch (XmlException e) {
            LOG.warning("master mlist unreadable, treated as empty: " + e.getMessage());
            return Map.of();
        }
        Map<String, Mlist.Entry> entries = new TreeMap<>();
        for (Mlist.Entry e : m.files) {
            try {
                ZkLayout.encodeOverride(e.path); // the checks of an override name
                if (e.md5 == null || !MD5.matcher(e.md5).matches()) {
                    throw new IllegalArgumentException("md5 of " + e.path + " is not 32 hex digits");
                }
                if (!cluster.equals(e.cluster)) {
                    throw new IllegalArgumentException("entry of " + e.path + " is of another cluster");
                }
                if (e.node != null) {
                    ZkLayout.validName(e.node);
                }
                entries.put(e.path, e);
            } catch (IllegalArgumentException | NullPointerException refused) {
                LOG.warning("master mlist entry refused: " + refused.getMessage());
            }
        }
        return Collections.unmodifiableMap(entries);
    }

    static byte[] toXml(Map<String, Mlist.Entry> entries) throws IOException {
        Mlist m = new Mlist();
        m.files.addAll(entries.values());
        StringWriter w = new StringWriter();
        XmlFiles.write(m, w);
        return w.toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- for tests ----

    /** How many times this node wrote the master mlist. */
    long writes() {
        return writes.get();
    }

    /** Whether nothing is queued, waiting to be retried or being written. */
    synchronized boolean idle() {
        return !flushQueued && !busy && pending.isEmpty() && !repairPending;
    }

    static boolean sameEntries(Map<String, Mlist.Entry> a, Map<String, Mlist.Entry> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String k : a.keySet()) {
            Mlist.Entry x = a.get(k);
            Mlist.Entry y = b.get(k);
            if (!Objects.equals(x.md5, y.md5) || x.revision != y.revision) {
                return false;
            }
        }
        return true;
    }
}
