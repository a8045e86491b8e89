package io.mcp.master.cluster;

import io.mcp.core.cluster.ClusterConfig;
import io.mcp.core.event.EventLog;
import io.mcp.core.paths.NodePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.KeeperException;

/**
 * This master's place in its cluster: a ZooKeeper session (through Curator), an ephemeral member
 * node that carries this node's {@link MemberStatus}, and a view of the live members, from which
 * it decides quorum.
 *
 * <p><b>Quorum</b>: this node is connected to ZooKeeper, its own member node is owned by its
 * current session, and more than half of the members declared in {@code cluster.xml} have a
 * member node. Losing the connection (Curator's
 * {@code SUSPENDED}, which comes at most 2/3 of the session timeout after the last contact, or
 * {@code LOST}) takes the node out of quorum at once. On every (re)connection the members are
 * read again from ZooKeeper before quorum is decided, never taken from what was seen before.
 * A member that leaves while this node is connected costs quorum only if it stays away for
 * {@link #MEMBER_SETTLE}: a member whose session was replaced after an outage removes and
 * re-creates its node, and that must not stop services cluster-wide.
 *
 * <p><b>Duplicate node ids</b>: a second master started with the same node id finds the member
 * node owned by another live session (neither this session nor an earlier one of its own). It
 * raises a {@code duplicate} alert naming the owner's host and PID, publishes nothing into the
 * other's node, and keeps itself out of quorum until it owns the member node (the owner left).
 * The owner sees the other's status written into its node (Curator's PersistentNode writes its
 * data into a node that exists), raises the same alert, writes its own status back and stays.
 * Neither deletes the other's node, so the two never fight over it: the node is re-created only
 * once it is gone.
 *
 * <p>All decisions are taken on one thread, the cluster thread, which also calls the
 * {@link ClusterListener}. {@link #start()} does not wait for ZooKeeper: a master starts even
 * when the ensemble is down, out of quorum, and joins when it comes back.
 */
public final class ClusterNode implements AutoCloseable {
    /** How long a member may be away before its absence costs quorum. */
    public static final Duration MEMBER_SETTLE = Duration.ofMillis(500);
    private static final Duration MAX_CONNECTION_TIMEOUT = Duration.ofSeconds(15);
    /** How often an ensemble found older than ZooKeeper 3.6 is asked again (an upgrade may have come). */
    private static final Duration ENSEMBLE_RECHECK = Duration.ofMinutes(1);
    /** {@link #connectionState()} while the ensemble is older than ZooKeeper 3.6. */
    public static final String UNSUPPORTED = "unsupported (ZooKeeper 3.6 or later needed)";
    private static final Logger LOG = Logger.getLogger(ClusterNode.class.getName());

    private enum State { LATENT, STARTED, CLOSED }

    private final ClusterConfig config;
    private final ZkLayout layout;
    private final ClusterListener listener;
    private final EventLog events;
    private final Set<String> declared;
    private final String host = hostName();
    private final long pid = ProcessHandle.current().pid();
    private final CuratorFramework client;
    /**
     * Made at the first connection, so that the status it starts with (and that Curator writes
     * into a node that exists already) names our session: the owner of a node we share can tell
     * our writes from its own. Made and closed under {@code memberLock}.
     */
    private volatile PersistentNode member;
    private final Object memberLock = new Object();
    private final CuratorCache cache;
    private final Duration ensembleRecheck;
    private final ScheduledExecutorService thread;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);

    // Owned by the cluster thread.
    private boolean connected;
    private boolean checkingEnsemble;
    /** Whether the next connection asks the ensemble; not once it refused, until {@link #ENSEMBLE_RECHECK} later. */
    private boolean askEnsemble = true;
    /** The alert that the ensemble is too old was raised. */
    private boolean ensembleRefused;
    /** Counts member reads, so that only the answer to the latest one is used. */
    private long readsAsked;
    private long readsApplied;
    private boolean synced;
    private final Set<String> live = new TreeSet<>();
    private ScheduledFuture<?> settling;
    /** The current ZooKeeper session, in hex, as published in our status. */
    private String session = "";
    private Map<String, String> services = Map.of();
    private byte[] pendingStatus;
    private byte[] publishedStatus;
    private long sessionId;
    /** Our member node exists and our current session owns it: no quorum without that. */
    private boolean ownsMember;
    /** Every session this node has had: a member node owned by one of them is our own leftover. */
    private final Set<Long> ownSessions = new HashSet<>();
    /** Sessions already named in a duplicate alert, so that each is reported once. */
    private final Set<String> reported = new HashSet<>();

    // Read from any thread.
    /** The ensemble has answered a ZooKeeper 3.6 request; set once, under {@code ensembleTasks}. */
    private volatile boolean ensembleChecked;
    private final List<Runnable> ensembleTasks = new ArrayList<>();
    private volatile boolean inQuorum;
    private volatile Set<String> liveMembers = Set.of();
    private volatile Map<String, MemberStatus> statuses = Map.of();
    private volatile String connectionState = "not started";
    private volatile Duplicate duplicate;

    /**
     * Another live master that owns this node id's member node.
     *
     * @param host its host, null when its status could not be read
     * @param pid its PID, null when its status could not be read
     * @param session its ZooKeeper session, hex
     */
    public record Duplicate(String host, Long pid, String session) {
        String describe() {
            return host == null ? "an unknown master (ZooKeeper session " + session + ")"
                    : "the master on host " + host + " with PID " + pid + " (ZooKeeper session " + session + ")";
        }
    }

    /**
     * @param config this node and its cluster
     * @param connectString the ensemble; for an embedded server, {@link EmbeddedZooKeeper#connectString()}
     * @param listener told on the cluster thread when quorum changes
     */
    public ClusterNode(ClusterConfig config, String connectString, ClusterListener listener) {
        this(config, connectString, listener, null);
    }

    /**
     * @param events where a duplicate node id is reported as an alert; null: the log only
     */
    public ClusterNode(ClusterConfig config, String connectString, ClusterListener listener, EventLog events) {
        this(config, connectString, listener, events, ENSEMBLE_RECHECK);
    }

    /** For tests: an ensemble found too old is asked again after {@code ensembleRecheck}. */
    ClusterNode(ClusterConfig config, String connectString, ClusterListener listener, EventLog events,
            Duration ensembleRecheck) {
        ZkLogging.quiet();
        this.ensembleRecheck = ensembleRecheck;
        this.events = events;
        this.config = config;
        this.layout = new ZkLayout(config.name());
        this.listener = listener;
        this.declared = Set.copyOf(config.members());
        Duration sessionTimeout = config.sessionTimeout();
        Duration connection = sessionTimeout.compareTo(MAX_CONNECTION_TIMEOUT) < 0 ? sessionTimeout
                : MAX_CONNECTION_TIMEOUT;
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder();
        if (config.digestFile() != null) {
            try {
                builder.authorization("digest", ClusterConfig.readDigest(config.digestFile()))
                        .aclProvider(new ClusterAcl());
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }
        if (config.tls() != null) {
            try {
                builder.zkClientConfig(ZkTlsClient.config(config.tls()));
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }
        client = builder
                .connectString(connectString)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs((int) connection.toMillis())
                // Bounded: an operation gives up after about 10 tries, each wait at most 2 s. The session itself
                // reconnects for ever, and the recipes re-sync on reconnection.
                .retryPolicy(new BoundedExponentialBackoffRetry(100, 2000, 10))
                .build();
        cache = CuratorCache.builder(client, layout.membersPath())
                .withExceptionHandler(e -> LOG.log(connectionTrouble(e) ? Level.FINE : Level.WARNING,
                        "reading members failed", e))
                .build();
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * With digest credentials: what MCP creates belongs to the sessions that authenticated with
     * them. {@link ZkLayout#ROOT}, which the clusters of one ensemble share, lets anyone read it
     * and create a namespace in it, and nothing more.
     */
    private static final class ClusterAcl implements ACLProvider {
        // Not List.of: ZooKeeper asks the list whether it contains null, which List.of refuses to answer.
        private static final List<ACL> ROOT_ACL = Collections.unmodifiableList(Arrays.asList(
                new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE),
                new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS)));

        @Override
        public List<ACL> getDefaultAcl() {
            return ZooDefs.Ids.CREATOR_ALL_ACL;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return ZkLayout.ROOT.equals(path) ? ROOT_ACL : ZooDefs.Ids.CREATOR_ALL_ACL;
        }
    }

    /** Connects and joins the cluster in the background; returns at once. */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("cluster node cannot start: it is " + state.get());
        }
        connectionState = "connecting";
        client.getConnectionStateListenable().addListener(this::connectionChanged, thread);
        cache.listenable().addListener(this::memberEvent, thread);
        client.start(); // the member cache starts once the ensemble has been checked
        LOG.info("node " + config.nodeId() + " of cluster " + config.name() + " joining through "
                + client.getZookeeperClient().getCurrentConnectionString() + " (members "
                + String.join(", ", config.members()) + ", session timeout " + config.sessionTimeout().toMillis()
                + " ms" + (config.tls() == null ? "" : ", TLS trusting " + config.tls().truststore()) + ")");
    }

    public boolean inQuorum() {
        return inQuorum;
    }

    /** The members that have a member node, sorted; empty while this node is not connected. */
    public Set<String> liveMembers() {
        return liveMembers;
    }

    /**
     * The other live master that owns this node id's member node, while there is one: this node
     * is then kept out of quorum.
     */
    public Optional<Duplicate> duplicate() {
        return Optional.ofNullable(duplicate);
    }

    /** The live members' published statuses, by node id; a member whose status cannot be read is left out. */
    public Map<String, MemberStatus> memberStatuses() {
        return statuses;
    }

    /**
     * The ZooKeeper connection for {@code mcpctl status}: {@code not started}, {@code connecting},
     * {@code connected}, {@code suspended}, {@code lost}, {@code read-only}, {@link #UNSUPPORTED}
     * or {@code closed}.
     */
    public String connectionState() {
        return connectionState;
    }

    /** Whether the ensemble is known to be ZooKeeper 3.6 or later (it answered a request of 3.6). */
    public boolean ensembleChecked() {
        return ensembleChecked;
    }

    /**
     * Runs {@code task} once the ensemble is known to be ZooKeeper 3.6 or later, which persistent
     * watches need: at once if it is known already (on this thread), else on the cluster thread.
     */
    public void whenEnsembleChecked(Runnable task) {
        synchronized (ensembleTasks) {
            if (!ensembleChecked) {
                ensembleTasks.add(task);
                return;
            }
        }
        task.run();
    }

    /** The Curator client, for the components that share this node's session (override propagation). */
    public CuratorFramework client() {
        return client;
    }

    public ZkLayout layout() {
        return layout;
    }

    public ClusterConfig config() {
        return config;
    }

    /**
     * Publishes the state of this node's services in its member node. Returns at once; the
     * write happens on the cluster thread, is skipped when nothing changed, and waits for the
     * member node when it does not exist yet.
     *
     * @param stateByService state (as {@code mcpctl} shows it) by service name
     */
    public void publishServices(Map<String, String> stateByService) {
        Map<String, String> copy = new TreeMap<>(stateByService);
        onThread(() -> {
            services = copy;
            statusChanged();
        });
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        if (previous == State.STARTED) {
            cache.close();
            synchronized (memberLock) {
                try {
                    if (member != null) {
                        member.close(); // before the client: a PersistentNode left running re-creates its node for ever
                    }
                } catch (IOException e) {
                    LOG.log(Level.FINE, "closing the member node", e);
                }
            }
            client.close(); // the session's end removes the member node on the server
        }
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inQuorum = false;
        liveMembers = Set.of();
        statuses = Map.of();
        connectionState = "closed";
    }

    // ---- on the cluster thread ----

    private void connectionChanged(CuratorFramework ignored, ConnectionState newState) {
        if (state.get() != State.STARTED) {
            return;
        }
        connectionState = switch (newState) {
            case CONNECTED, RECONNECTED -> "connected";
            case SUSPENDED -> "suspended";
            case LOST -> "lost";
            case READ_ONLY -> "read-only";
        };
        connected = newState == ConnectionState.CONNECTED || newState == ConnectionState.RECONNECTED;
        synced = false;
        LOG.log(connected ? Level.INFO : Level.WARNING, "ZooKeeper connection " + newState.name().toLowerCase());
        if (connected && !ensembleChecked) {
            if (askEnsemble) {
                checkEnsemble(); // nothing of the cluster's until it answers
            } else {
                connectionState = UNSUPPORTED;
            }
        } else if (connected) {
            joined();
        }
        decide(false);
    }

    /** Connected to an ensemble known to serve what MCP needs: the member node, and the members read. */
    private void joined() {
        String now = sessionId();
        if (!now.equals(session)) {
            session = now;
            try {
                sessionId = Long.parseUnsignedLong(now, 16);
                ownSessions.add(sessionId);
            } catch (NumberFormatException e) {
                sessionId = 0;
            }
            ownsMember = false; // until the cache shows our node owned by this session
            createMember();
            statusChanged();
        }
        readMembers();
        cache.get(layout.member(config.nodeId())).ifPresent(this::checkOwner);
    }

    /**
     * Asks the ensemble something only ZooKeeper 3.6 and later understand (how many znodes lie
     * under the members' znode): the member cache and the override propagation watch through
     * persistent watches, which came with 3.6. An older server answers UNIMPLEMENTED and closes
     * the connection (not the session); with the watches set again at every reconnection, the
     * connection would flap for ever, with nothing said why. Asked once, and again every
     * {@link #ENSEMBLE_RECHECK}, such an ensemble costs one reconnection a minute and one alert.
     */
    private void checkEnsemble() {
        if (checkingEnsemble) {
            return;
        }
        checkingEnsemble = true;
        try {
            client.getZookeeperClient().getZooKeeper().getAllChildrenNumber(layout.membersPath(),
                    (rc, path, ctx, number) -> onThread(() -> ensembleAnswered(rc)), null);
        } catch (Exception e) {
            checkingEnsemble = false;
            LOG.log(Level.FINE, "cannot check the ZooKeeper ensemble yet; the next connection will", e);
        }
    }

    private void ensembleAnswered(int rc) {
        checkingEnsemble = false;
        if (state.get() != State.STARTED) {
            return;
        }
        KeeperException.Code code = KeeperException.Code.get(rc);
        if (code == KeeperException.Code.UNIMPLEMENTED) {
            connectionState = UNSUPPORTED;
            askEnsemble = false;
            if (!ensembleRefused) {
                ensembleRefused = true;
                alert("zookeeper", "the ZooKeeper ensemble at "
                        + client.getZookeeperClient().getCurrentConnectionString() + " is older than 3.6 (it does"
                        + " not know persistent watches, which MCP needs): this node stays out of quorum and does"
                        + " not propagate overrides until the ensemble is upgraded; checking again every minute");
            }
            thread.schedule(() -> {
                askEnsemble = true;
                if (state.get() == State.STARTED && connected && !ensembleChecked) {
                    checkEnsemble();
                } // else the next connection asks
            }, ensembleRecheck.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        if (code == KeeperException.Code.CONNECTIONLOSS || code == KeeperException.Code.SESSIONEXPIRED) {
            return; // asked again at the next connection
        }
        // Any other answer (a count, NONODE, NOAUTH) comes from a server that knows the request.
        if (ensembleRefused) {
            LOG.info("the ZooKeeper ensemble now serves ZooKeeper 3.6 requests: joining the cluster");
        }
        List<Runnable> tasks;
        synchronized (ensembleTasks) {
            ensembleChecked = true;
            tasks = List.copyOf(ensembleTasks);
            ensembleTasks.clear();
        }
        cache.start();
        for (Runnable task : tasks) {
            task.run();
        }
        if (connected) {
            connectionState = "connected";
            joined();
            decide(false);
        }
    }

    private void memberEvent(CuratorCacheListener.Type type, ChildData before, ChildData after) {
        if (state.get() != State.STARTED) {
            return;
        }
        ChildData data = after != null ? after : before;
        if (ZkLayout.childName(layout.membersPath(), data.getPath()) == null) {
            return; // the members path itself, or a name we refuse
        }
        if (type != CuratorCacheListener.Type.NODE_CHANGED) {
            readMembers(); // the cache says something changed; ZooKeeper says what is true now
        }
        if (data.getPath().equals(layout.member(config.nodeId()))) {
            if (type == CuratorCacheListener.Type.NODE_DELETED) {
                ownsMember = false; // PersistentNode re-creates it; a loss settles like any member's
                decide(false);
            } else {
                checkOwner(after);
            }
        }
        flushStatus(); // our own node may have just been created
        refreshStatuses();
    }

    /** Asks ZooKeeper for the members; answers come back on this thread in the order asked. */
    private void readMembers() {
        long ask = ++readsAsked;
        try {
            client.getChildren().inBackground((c, event) -> membersRead(ask, event), thread)
                    .forPath(layout.membersPath());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot ask for the members", e);
        }
    }

    private void membersRead(long ask, CuratorEvent event) {
        if (state.get() != State.STARTED || ask <= readsApplied || !connected) {
            return; // an answer that a later one supersedes, or from before a disconnection
        }
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        if (code == KeeperException.Code.NOAUTH) {
            LOG.warning("ZooKeeper refuses this node access to " + layout.membersPath() + ": its <zookeeper"
                    + " digest-file> is missing or holds other credentials than the cluster's; retrying");
        }
        if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
            LOG.fine("reading members failed: " + code + "; retrying");
            thread.schedule(this::readMembersIfConnected, 1, TimeUnit.SECONDS);
            return;
        }
        readsApplied = ask;
        live.clear();
        List<String> children = code == KeeperException.Code.OK ? event.getChildren() : List.of();
        for (String child : children) {
            String name = ZkLayout.childName(layout.membersPath(), layout.membersPath() + "/" + child);
            if (name != null) {
                live.add(name);
            }
        }
        synced = true;
        decide(false);
    }

    private void readMembersIfConnected() {
        if (state.get() == State.STARTED && connected) {
            readMembers();
        }
    }

    /**
     * Sets quorum from what this thread knows. A loss caused by members leaving, while this node
     * is connected, is confirmed only after {@link #MEMBER_SETTLE}.
     */
    private void decide(boolean settled) {
        if (state.get() != State.STARTED) {
            return;
        }
        Set<String> now = connected && synced ? Set.copyOf(live) : Set.of();
        liveMembers = now.isEmpty() ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(now));
        refreshStatuses();
        long alive = now.stream().filter(declared::contains).count();
        boolean quorum = connected && synced && ownsMember && duplicate == null && alive * 2 > declared.size();
        if (quorum == inQuorum) {
            cancelSettling();
            return;
        }
        if (!quorum && connected && synced && duplicate == null && !settled) {
            if (settling == null) {
                settling = thread.schedule(() -> {
                    settling = null;
                    decide(true);
                }, MEMBER_SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        cancelSettling();
        inQuorum = quorum;
        LOG.log(quorum ? Level.INFO : Level.WARNING, (quorum ? "in quorum" : "out of quorum") + ": live members "
                + liveMembers + " of " + config.members() + ", ZooKeeper " + connectionState
                + (duplicate == null ? "" : ", node id " + config.nodeId() + " owned by " + duplicate.describe()));
        try {
            listener.quorumChanged(quorum, liveMembers);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a cluster listener failed", e);
        }
    }

    private void cancelSettling() {
        if (settling != null) {
            settling.cancel(false);
            settling = null;
        }
    }

    private void statusChanged() {
        byte[] json = status().toJson();
        if (json.length > MemberStatus.MAX_BYTES) {
            LOG.warning("member status of " + json.length + " bytes is over " + MemberStatus.MAX_BYTES
                    + "; not published");
            return;
        }
        pendingStatus = json;
        flushStatus();
    }

    /** Starts our member node, once, with the status of the first session. */
    private void createMember() {
        synchronized (memberLock) {
            if (member != null || state.get() != State.STARTED) {
                return;
            }
            member = new MemberNode(client, layout.member(config.nodeId()), status().toJson());
            member.getListenable().addListener(path -> onThread(this::memberCreated));
            member.start();
        }
    }

    /**
     * Our node was (re)created: the members and its owner are read from ZooKeeper rather than
     * waited for from the cache, whose events for it can be lost around a session expiry (the
     * node then stayed out of quorum with every member live).
     */
    private void memberCreated() {
        if (state.get() != State.STARTED || !connected) {
            return;
        }
        readMembers();
        try {
            client.getData().inBackground((c, event) -> {
                if (event.getResultCode() == KeeperException.Code.OK.intValue()) {
                    checkOwner(new ChildData(event.getPath(), event.getStat(), event.getData()));
                }
            }, thread).forPath(layout.member(config.nodeId()));
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot read the member node", e);
        }
    }

    /**
     * Who owns our member node, each time the cache shows it: our session (if another master's
     * status is in it, that master is a duplicate: say so and write ours back), an earlier session
     * of ours (a leftover the server removes soon), or another live session (we are the duplicate).
     */
    private void checkOwner(ChildData data) {
        if (state.get() != State.STARTED || sessionId == 0 || data.getStat() == null) {
            return;
        }
        long owner = data.getStat().getEphemeralOwner();
        Optional<MemberStatus> status = MemberStatus.parse(data.getData());
        if (owner == sessionId) {
            if (!ownsMember) {
                ownsMember = true;
                decide(false);
                flushStatus(); // what changed while the node's owner was not known yet
            }
            if (duplicate != null) {
                LOG.warning("node id " + config.nodeId() + " is ours again: " + duplicate.describe() + " left");
                duplicate = null;
                pendingStatus = status().toJson();
                flushStatus();
                decide(false);
            }
            MemberStatus writer = status.orElse(null);
            if (writer != null && !writer.session().isEmpty() && !ownSession(writer.session())) {
                Duplicate other = new Duplicate(writer.host(), writer.pid(), writer.session());
                if (reported.add(other.session())) {
                    alert("duplicate", "node id " + config.nodeId() + " is also used by " + other.describe()
                            + "; this master (host " + host + ", PID " + pid + ") owns the member node and stays,"
                            + " the other is kept out of quorum: give one of them another node id");
                }
                publishedStatus = null; // ours back in, so that the other sees who owns the node
                pendingStatus = status().toJson();
                flushStatus();
            }
            return;
        }
        ownsMember = false;
        if (owner == 0 || ownSessions.contains(owner)) {
            return; // not an ephemeral node, or left by an earlier session of ours: it goes soon
        }
        String ownerHex = Long.toHexString(owner);
        MemberStatus ownerStatus = status.filter(s -> s.session().equals(ownerHex)).orElse(null);
        Duplicate before = duplicate;
        Duplicate now = ownerStatus == null ? new Duplicate(null, null, ownerHex)
                : new Duplicate(ownerStatus.host(), ownerStatus.pid(), ownerHex);
        if (before != null && before.session().equals(ownerHex) && now.host() == null) {
            return; // our own status written into the other's node: nothing new about its owner
        }
        duplicate = now;
        if (before == null) {
            LOG.warning("node id " + config.nodeId() + " is owned by " + now.describe() + "; out of quorum");
            decide(false);
        }
        if (now.host() != null) {
            reportDuplicate(now);
        } else {
            // Its status may come in a moment (the owner writes it back); name it then if we can.
            thread.schedule(() -> {
                Duplicate d = duplicate;
                if (d != null && d.session().equals(ownerHex)) {
                    reportDuplicate(d);
                }
            }, 2, TimeUnit.SECONDS);
        }
    }

    private void reportDuplicate(Duplicate d) {
        if (reported.add(d.session())) {
            alert("duplicate", "node id " + config.nodeId() + " is already used by " + d.describe()
                    + ", which owns its member node; this master (host " + host + ", PID " + pid + ") keeps itself"
                    + " out of quorum until that one leaves: give one of them another node id");
        }
    }

    private boolean ownSession(String hex) {
        try {
            return ownSessions.contains(Long.parseUnsignedLong(hex, 16));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private void alert(String kind, String message) {
        LOG.warning(message);
        if (events != null) {
            events.alert(NodePaths.MASTER, kind, message);
        }
    }

    /**
     * Writes the pending status once the member node exists (PersistentNode refuses data before)
     * and this session is seen to own it.
     */
    private void flushStatus() {
        PersistentNode member = this.member;
        if (pendingStatus == null || state.get() != State.STARTED || member == null || member.getActualPath() == null
                || !ownsMember || duplicate != null) {
            // PersistentNode also has a path when it found the node existing, which may be another
            // master's: a duplicate writes nothing into it.
            return;
        }
        if (Arrays.equals(pendingStatus, publishedStatus)) {
            pendingStatus = null;
            return;
        }
        try {
            member.setData(pendingStatus);
            publishedStatus = pendingStatus;
            pendingStatus = null;
        } catch (Exception e) {
            LOG.log(Level.FINE, "status not published yet", e);
        }
    }

    private void refreshStatuses() {
        Map<String, MemberStatus> map = new TreeMap<>();
        for (String id : liveMembers) {
            cache.get(layout.member(id)).flatMap(d -> MemberStatus.parse(d.getData()))
                    .ifPresent(s -> map.put(id, s));
        }
        statuses = Collections.unmodifiableMap(map);
    }

    private MemberStatus status() {
        return new MemberStatus(config.nodeId(), host, pid, session, services);
    }

    private String sessionId() {
        try {
            return Long.toHexString(client.getZookeeperClient().getZooKeeper().getSessionId());
        } catch (Exception e) {
            return "";
        }
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "cluster task failed", e);
                }
            });
        } catch (RejectedExecutionException closed) {
            // closed: nothing to publish to any more
        }
    }

    private static boolean connectionTrouble(Exception e) {
        return e instanceof KeeperException.ConnectionLossException
                || e instanceof KeeperException.SessionExpiredException;
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException unknown) {
                return "unknown";
            }
        }
    }

    /** This node's ephemeral member node. */
    private static final class MemberNode extends PersistentNode {
        MemberNode(CuratorFramework client, String path, byte[] data) {
            super(client, CreateMode.EPHEMERAL, false, path, data);
        }

        /**
         * Leaves the node to the end of the session, which follows at once. PersistentNode's own
         * delete is synchronous and, with ZooKeeper away, would hold the master's shutdown
         * through every retry.
         */
        @Override
        protected void deleteNode() {
        }
    }

    /**
     * For tests: waits until no member read is outstanding and no loss is settling, with
     * everything queued on the cluster thread before this call handled.
     */
    void awaitQuiet(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!thread.submit(() -> readsApplied == readsAsked && settling == null).get(timeout.toMillis(),
                TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() > deadline) {
                throw new java.util.concurrent.TimeoutException("cluster node not quiet within " + timeout);
            }
            Thread.sleep(10);
        }
    }
}
