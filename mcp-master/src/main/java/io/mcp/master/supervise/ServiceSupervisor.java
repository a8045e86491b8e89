package io.mcp.master.supervise;

import io.mcp.core.control.ServiceStatus;
import io.mcp.core.control.ServiceStatus.ActionResult;
import io.mcp.core.model.ActionList;
import io.mcp.core.model.ConfigSpec;
import io.mcp.core.model.ProcessSpec;
import io.mcp.core.model.RestartSpec;
import io.mcp.core.model.ServiceDefinition;
import io.mcp.core.model.ServiceOption;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.PidWatcher;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.restart.RestartPolicy;
import io.mcp.core.xml.XmlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Supervises one service: decides whether it should run, starts it through the forker,
 * confirms its PID, watches it, restarts it when it crashes, backs off when starts fail, and
 * stops it (stop actions, then SIGTERM, then SIGKILL to its process group) when it must not run.
 *
 * <p>Every method runs on the supervision loop thread; asynchronous results are posted back to
 * it. A start or stop carries a generation number, so a late answer for an abandoned attempt is
 * ignored. {@link #status()} is an immutable snapshot, safe to read from any thread.
 */
public final class ServiceSupervisor {
    private static final Logger LOG = Logger.getLogger(ServiceSupervisor.class.getName());
    private static final long[] CONFIRM_POLL_MS = {0, 2, 5, 10, 20, 50, 100};
    private static final Duration SIGKILL_WAIT = Duration.ofSeconds(5);
    /** How long the master leaves the processors to the forker's restart of an armed service before it looks. */
    private static final Duration ARMED_EXIT_GRACE = Duration.ofMillis(3);
    private static final int KEPT_ACTION_RESULTS = 5;
    private static final Duration FIRST_ALERT = Duration.ofMinutes(10);
    private static final Duration SECOND_ALERT = Duration.ofMinutes(30);

    private final SupervisionContext ctx;
    private final String name;
    private final Runnable onGone;

    private ServiceDefinition def;
    private Path file;
    private XmlException invalid;
    private Boolean enabledOverride;
    private boolean removed;
    private Conditions conditions;

    private Phase phase = Phase.STOPPED;
    private String reason = "not started yet";
    private Instant since;
    private ProcessInfo process;
    private PidWatcher.Watch watch;
    private ScheduledFuture<?> timer;
    private Instant nextStartAt;
    private RestartPolicy policy;
    private RestartSpec policySpec;
    private int restarts;
    private long generation;
    private Long spawnedPid;
    private Instant failingSince;
    private boolean alertedFirst;
    private boolean alertedSecond;
    /**
     * The PID the forker is armed to restart the moment it dies: an {@code arm} was sent for it
     * and has not been settled since (by a disarm's answer, or the question after its death).
     */
    private Long armedPid;
    /** The request {@link #armedPid} was armed with. */
    private ForkerRequest armedWith;
    /** The forker accepted the arm of {@link #armedPid}. */
    private boolean armConfirmed;
    /** The last arm request; what follows about that PID is sent once it is answered, so never overtakes it. */
    private CompletableFuture<ForkerReply> armCall = CompletableFuture.completedFuture(null);
    /** A disarm of {@link #armedPid} is on its way; a death of that process waits for its answer. */
    private boolean disarming;
    /** The armed process, when it died while its disarm was on its way. */
    private ProcessInfo diedWhileDisarming;
    /** The forker refused to arm this PID (not its child, e.g. after a forker restart): not asked again. */
    private Long armRefusedPid;
    /** Arms the process once the restart policy would restart it at once. */
    private ScheduledFuture<?> armTimer;
    private final Deque<ActionResult> lastActions = new ArrayDeque<>();
    private volatile ServiceStatus status;

    /** @param onGone called once a removed service has stopped, to forget it */
    public ServiceSupervisor(SupervisionContext ctx, String name, Conditions conditions, Runnable onGone) {
        this.ctx = ctx;
        this.name = name;
        this.conditions = conditions;
        this.onGone = onGone;
        this.since = ctx.clock().instant();
        publish();
    }

    public ServiceStatus status() {
        return status;
    }

    // ---- facts from the catalog and the operator ----

    /** A valid definition was read for this service. */
    public void define(Path file, ServiceDefinition def) {
        this.file = file;
        this.def = def;
        this.invalid = null;
        this.removed = false;
        RestartSpec spec = def.restartOrDefault();
        if (policy == null || !sameRestart(spec, policySpec)) {
            policy = new RestartPolicy(ctx.clock(), spec.initialDelay(), spec.maxDelay(), spec.resetAfterDelay());
            policySpec = spec;
        }
        for (String option : def.unknownOptions()) {
            ctx.events().warning(name, "unknown-option", file + ": unknown option '" + option + "' ignored");
        }
        if (phase == Phase.INVALID) {
            transition(Phase.STOPPED, "definition is valid again");
        }
        if (armedPid != null && !disarming && !Objects.equals(armRequest(armedPid), armedWith)) {
            disarm(); // armed with the old definition's start: armed again with the new one once settled
        }
        publish();
        reconcile();
    }

    /** The definition file could not be read; the last good definition, if any, stays in force. */
    public void invalidate(Path file, XmlException error) {
        this.file = file;
        this.invalid = error;
        if (def == null && phase != Phase.INVALID) {
            transition(Phase.INVALID, error.getMessage()); // which puts it in the event log
        } else {
            ctx.events().warning(name, "invalid", error.getMessage()
                    + (def != null ? " (keeping the last good definition)" : ""));
        }
        publish();
    }

    /** The definition file is gone: stop the service, then forget it. */
    public void remove() {
        removed = true;
        reconcile();
    }

    /** The operator's override of the default enable state, empty for none. */
    public void overrideEnabled(Optional<Boolean> enabled) {
        Boolean value = enabled.orElse(null);
        if (Objects.equals(value, enabledOverride)) {
            return;
        }
        enabledOverride = value;
        if (policy != null && enabled()) {
            policy.reset(); // enabling is a request for a fresh start, not a continuation of old failures
        }
        publish();
        reconcile();
    }

    // ---- the decision ----

    private boolean enabled() {
        return enabledOverride != null ? enabledOverride : def != null && def.enabledByDefault();
    }

    /** Why the service may not start now although enabled, if a condition is unmet. */
    private Optional<String> unmetCondition() {
        Set<ServiceOption> options = def.knownOptions();
        // kill-on-sigquorum too: started out of quorum, it would be stopped again at once.
        if ((options.contains(ServiceOption.REQUIRE_QUORUM) || options.contains(ServiceOption.KILL_ON_SIGQUORUM))
                && !conditions.inQuorum()) {
            return Optional.of("waiting for quorum");
        }
        if (options.contains(ServiceOption.REQUIRE_POST_IFS) && !conditions.storeInSync()) {
            return Optional.of("waiting for the cluster store");
        }
        return Optional.empty();
    }

    private boolean mayStart() {
        return !removed && def != null && enabled() && unmetCondition().isEmpty();
    }

    /** Why a running service must stop, if it must. */
    private Optional<String> stopReason() {
        if (removed) {
            return Optional.of("definition removed");
        }
        if (def == null || !enabled()) {
            return Optional.of("disabled");
        }
        if (def.knownOptions().contains(ServiceOption.KILL_ON_SIGQUORUM) && !conditions.inQuorum()) {
            return Optional.of("node lost quorum");
        }
        return Optional.empty();
    }

    /** Brings the service towards what is wanted; phases in transition are re-decided when they end. */
    public void reconcile() {
        switch (phase) {
            case STOPPED, WAITING, INVALID -> {
                Optional<ProcessInfo> live = def == null ? Optional.empty() : findLiveProcess();
                if (live.isPresent()) {
                    running(live.get(), "adopted running process " + live.get().describe());
                    stopReason().ifPresent(this::stop);
                } else if (removed) {
                    onGone.run();
                } else if (def != null && enabled()) {
                    Optional<String> unmet = unmetCondition();
                    if (unmet.isEmpty()) {
                        start("enabled");
                    } else if (phase != Phase.WAITING || !unmet.get().equals(reason)) {
                        transition(Phase.WAITING, unmet.get());
                    }
                } else if (phase == Phase.WAITING) {
                    transition(Phase.STOPPED, "disabled");
                }
            }
            case RUNNING -> {
                Optional<String> stop = stopReason();
                if (stop.isPresent()) {
                    stop(stop.get());
                } else {
                    updateArm();
                }
            }
            case BACKOFF -> {
                if (!mayStart()) {
                    cancelTimer();
                    transition(Phase.STOPPED, stopReason().orElse("start conditions lost"));
                    reconcile();
                }
            }
            case STARTING, CONFIRMING, STOPPING_DISARM, STOPPING_ACTION, STOPPING_SIGTERM, STOPPING_SIGKILL -> {
                // decided again when the start or stop in progress ends
            }
        }
    }

    /** The cluster conditions changed: services that depend on them are decided again. */
    public void conditions(Conditions now) {
        if (!now.equals(conditions)) {
            conditions = now;
            reconcile();
        }
    }

    // ---- its configuration ----

    /**
     * The content of one of the service's {@code <config>} files changed: runs the actionlist it
     * names while the service runs (a stopped service reads the file when it starts). Completes,
     * on the loop, when the actions are done.
     */
    public CompletableFuture<Void> configChanged(Path config, String listName) {
        if (phase != Phase.RUNNING || def == null || listName == null) {
            LOG.info(name + ": " + config + " changed; not running " + listName + " while " + phase);
            return CompletableFuture.completedFuture(null);
        }
        List<String> commands = def.actionList(listName).map(ActionList::commands).orElse(List.of());
        if (commands.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.forker().send(request(ForkerRequest.RUN, commands, null)).whenComplete((r, err) -> ctx.loop().execute(() -> {
            ForkerReply reply = r != null ? r : ForkerReply.failure(String.valueOf(err));
            remember(listName, reply);
            if (reply.ok()) {
                ctx.events().info(name, "config", config + " changed; '" + listName + "' ran");
            } else {
                ctx.events().warning(name, "config", config + " changed; '" + listName + "' failed: "
                        + reply.summary() + reply.lastOutputLine());
            }
            publish();
            done.complete(null);
        }));
        return done;
    }

    /** The {@code <config>} files of the current definition, with the actionlist each names. */
    public List<ConfigSpec> configs() {
        return def == null ? List.of() : def.configs;
    }

    // ---- starting ----

    private void start(String why) {
        long gen = ++generation;
        spawnedPid = null;
        List<String> commands = def.startActions().map(ActionList::commands).orElse(List.of());
        CompletableFuture<ForkerReply> reply;
        if (def.foreground()) {
            List<String> prefix = commands.subList(0, commands.size() - 1);
            String command = commands.get(commands.size() - 1);
            CompletableFuture<ForkerReply> before = prefix.isEmpty()
                    ? CompletableFuture.completedFuture(null)
                    : ctx.forker().send(request(ForkerRequest.RUN, prefix, null));
            reply = before.thenCompose(r -> r != null && !r.ok()
                    ? CompletableFuture.completedFuture(r)
                    : ctx.forker().send(request(ForkerRequest.SPAWN, null, command)));
        } else {
            reply = ctx.forker().send(request(ForkerRequest.RUN, commands, null));
        }
        // Logged once the request is on its way (a restart is latency-bound); the answer is
        // handled on this thread, so after this transition.
        transition(Phase.STARTING, why);
        reply.whenComplete((r, err) -> ctx.loop().execute(() ->
                startActionsDone(gen, r != null ? r : ForkerReply.failure(String.valueOf(err)))));
    }

    private void startActionsDone(long gen, ForkerReply reply) {
        if (gen != generation) {
            return;
        }
        remember("start", reply);
        if (!reply.ok()) {
            startFailed("start failed: " + reply.summary() + reply.lastOutputLine());
            return;
        }
        spawnedPid = reply.pid();
        transition(Phase.CONFIRMING, "start actions done; waiting for the process");
        Instant deadline = ctx.clock().instant().plus(ctx.startTimeout());
        confirm(gen, 0, deadline);
    }

    private void confirm(long gen, int attempt, Instant deadline) {
        if (gen != generation || phase != Phase.CONFIRMING) {
            return;
        }
        Optional<ProcessInfo> live = findLiveProcess();
        if (live.isPresent()) {
            running(live.get(), "started " + live.get().describe());
            stopReason().ifPresent(this::stop);
            return;
        }
        boolean spawnedDied = spawnedPid != null && ctx.os().inspect(spawnedPid).filter(ProcessInfo::alive).isEmpty();
        if (spawnedDied || !ctx.clock().instant().isBefore(deadline)) {
            killSpawned();
            startFailed((spawnedDied ? "process exited right after start: " : "") + whyNotRunning()
                    + logTail());
            return;
        }
        long delay = CONFIRM_POLL_MS[Math.min(attempt, CONFIRM_POLL_MS.length - 1)];
        ctx.loop().schedule(() -> confirm(gen, attempt + 1, deadline), delay, TimeUnit.MILLISECONDS);
    }

    /** A foreground process we spawned that never became the service must not linger as a second copy. */
    private void killSpawned() {
        if (spawnedPid != null && ctx.os().inspect(spawnedPid).filter(ProcessInfo::alive).isPresent()) {
            ctx.os().killGroup(spawnedPid, Os.SIGKILL);
        }
    }

    private void startFailed(String why) {
        backoff(policy.startFailed(why));
    }

    private void running(ProcessInfo p, String why) {
        cancelTimer();
        follow(p);
        nextStartAt = null;
        policy.started();
        transition(Phase.RUNNING, why);
        updateArm();
    }

    /** Tracks {@code p} as the service's process, its exit watched. */
    private void follow(ProcessInfo p) {
        process = p;
        watch = ctx.pidWatcher().watch(p.pid(), p.startTime(), () -> ctx.loop().execute(() -> exited(p)));
    }

    // ---- the forker's immediate restart ----

    /**
     * Whether the forker may restart the process the moment it dies: a foreground service (the
     * forker's own child) that may run, whose next exit the restart policy would restart at once.
     */
    private boolean armable() {
        return phase == Phase.RUNNING && process != null && def != null && def.foreground() && mayStart()
                && policy.immediateRestartFrom().map(from -> !ctx.clock().instant().isBefore(from)).orElse(false);
    }

    /** Arms or disarms the forker's restart as {@link #armable()} says; arms later when it will say so. */
    private void updateArm() {
        if (disarming) {
            return; // decided again when its answer comes
        }
        boolean want = armable();
        if (want && armedPid == null && !Long.valueOf(process.pid()).equals(armRefusedPid)) {
            arm(process.pid());
        } else if (!want && armedPid != null) {
            disarm();
        } else if (!want && phase == Phase.RUNNING && process != null && def != null && def.foreground()) {
            policy.immediateRestartFrom().filter(from -> from.isAfter(ctx.clock().instant())).ifPresent(from -> {
                if (armTimer != null) {
                    armTimer.cancel(false);
                }
                long delay = Duration.between(ctx.clock().instant(), from).toMillis() + 1;
                armTimer = ctx.loop().schedule(this::updateArm, delay, TimeUnit.MILLISECONDS);
            });
        }
    }

    /** The arm for {@code pid}: the spawn request a start of the current definition sends, about that PID. */
    private ForkerRequest armRequest(long pid) {
        List<String> commands = def.startActions().map(ActionList::commands).orElse(List.of());
        if (!def.foreground() || commands.isEmpty()) {
            return null;
        }
        return request(ForkerRequest.SPAWN, null, commands.get(commands.size() - 1)).about(ForkerRequest.ARM, pid);
    }

    private void arm(long pid) {
        armedPid = pid;
        armConfirmed = false;
        armedWith = armRequest(pid);
        armCall = ctx.forker().sendIfRunning(armedWith);
        armCall.whenComplete((r, err) -> ctx.loop().execute(() -> {
            if (armedPid == null || armedPid != pid || disarming) {
                return; // settled meanwhile
            }
            if (r != null && r.ok()) {
                armConfirmed = true;
            } else {
                // Not armed: its death takes the usual way, through a start request.
                LOG.info(name + ": restart of pid " + pid + " not armed in mcp-forker: "
                        + (r != null ? r.summary() : String.valueOf(err)));
                armedPid = null;
                armRefusedPid = pid;
            }
            publish();
        }));
    }

    /**
     * Tells the forker not to restart {@link #armedPid}; its answer goes to {@link #disarmed}. A
     * death of that process meanwhile waits for it, since the forker may have restarted it first.
     */
    private void disarm() {
        long pid = armedPid;
        disarming = true;
        diedWhileDisarming = null;
        armCall.handle((r, err) -> null)
                .thenCompose(x -> ctx.forker().sendIfRunning(ForkerRequest.of(ForkerRequest.DISARM, name, pid)))
                .whenComplete((r, err) -> ctx.loop().execute(() -> disarmed(pid, r)));
        publish();
    }

    /**
     * The forker answered a disarm: from now on it will not restart {@code pid}. If it had already
     * (the process died first), {@code reply} names the new process, which is dealt with here as
     * after any armed death; a stop in {@link Phase#STOPPING_DISARM} then goes on.
     */
    private void disarmed(long pid, ForkerReply reply) {
        disarming = false;
        armedPid = null;
        armConfirmed = false;
        ProcessInfo died = diedWhileDisarming;
        diedWhileDisarming = null;
        Long respawned = reply != null ? reply.pid() : null;
        ProcessInfo old = died != null ? died : process != null && process.pid() == pid ? process : null;
        if (respawned != null && old == null) {
            // Not a process this supervisor knows any more: whatever restarted it, it must not stay.
            LOG.warning(name + ": mcp-forker had restarted pid " + pid + " as " + respawned + ", no longer tracked; killed");
            ctx.os().killGroup(respawned, Os.SIGKILL);
            respawned = null;
        }
        if (phase == Phase.STOPPING_DISARM) {
            String why = reason;
            if (respawned != null && old != null) {
                restarts++;
                ctx.events().warning(name, "crashed", "process " + pid + " exited unexpectedly; mcp-forker restarted it"
                        + " as pid " + respawned + ", which is stopped");
                forgetProcess();
                Optional<ProcessInfo> now = ctx.os().inspect(respawned).filter(ProcessInfo::alive);
                if (now.isPresent()) {
                    follow(now.get());
                    stopNow(why + "; mcp-forker had restarted it as pid " + respawned);
                    return;
                }
            }
            if (process == null) {
                ++generation;
                transition(Phase.STOPPED, "stopped");
                reconcile();
            } else {
                stopNow(why);
            }
            return;
        }
        if (respawned != null && old != null) {
            forgetProcess();
            afterArmedExit(++generation, old, reply);
        } else if (died != null) {
            exitedRunning(died);
        } else {
            publish();
            reconcile(); // arms again if it may (a new definition)
        }
    }

    /**
     * The armed process {@code p} died and the forker's answer about it came: record the crash
     * as any crash is recorded, then take the process the forker restarted, or start one the usual
     * way if it did not.
     */
    private void afterArmedExit(long gen, ProcessInfo p, ForkerReply reply) {
        Long respawned = reply.ok() ? reply.pid() : null;
        if (respawned == null) {
            exitedRunning(p);
            return;
        }
        restarts++;
        RestartPolicy.Decision d = policy.exited("process " + p.pid() + " exited");
        boolean keep = d.immediate() && mayStart();
        ctx.events().warning(name, "crashed", "process " + p.pid() + " exited unexpectedly; mcp-forker restarted it as pid "
                + respawned + (keep ? "" : ", killed again: " + (mayStart() ? d.reason() : "it may not run now")));
        if (policy.failures() == 0) {
            clearFailing();
        }
        remember("start", reply);
        if (keep) {
            spawnedPid = respawned;
            transition(Phase.CONFIRMING, "restarted by mcp-forker as pid " + respawned + "; waiting for the process");
            confirm(gen, 0, ctx.clock().instant().plus(ctx.startTimeout()));
            return;
        }
        // The arm raced a change of mind (conditions, policy): the restarted copy must not stay.
        ctx.os().killGroup(respawned, Os.SIGKILL);
        if (PidFiles.read(pidFile()).orElse(-1) == respawned) {
            try {
                Files.deleteIfExists(pidFile());
            } catch (IOException e) {
                LOG.warning(name + ": cannot remove " + pidFile() + ": " + e);
            }
        }
        if (!mayStart()) {
            transition(Phase.STOPPED, "exited");
            reconcile();
        } else if (d.immediate()) {
            start("restarting after crash");
        } else {
            backoff(d);
        }
    }

    // ---- a process exit ----

    private void exited(ProcessInfo p) {
        exited(p, false);
    }

    private void exited(ProcessInfo p, boolean deferred) {
        if (process == null || process.pid() != p.pid() || process.startTime() != p.startTime()) {
            return; // a watch for a process we no longer track
        }
        if (disarming && armedPid != null && armedPid == p.pid()) {
            // The forker may have restarted it before it read the disarm: its answer will say.
            forgetProcess();
            diedWhileDisarming = p;
            publish();
            return;
        }
        if (armedPid != null && armedPid == p.pid() && !deferred) {
            // The forker is restarting it this very moment: the bookkeeping waits a little, so as
            // not to compete with that restart for the processors.
            ctx.loop().schedule(() -> exited(p, true), ARMED_EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        if (armedPid != null && armedPid == p.pid()) {
            forgetProcess();
            armedPid = null;
            armConfirmed = false;
            long gen = ++generation;
            // Asked only once the arm is answered, so that the question never overtakes it.
            CompletableFuture<ForkerReply> answer = armCall.handle((r, err) -> null).thenCompose(x ->
                    ctx.forker().sendIfRunning(ForkerRequest.of(ForkerRequest.RESPAWNED, name, p.pid())));
            transition(Phase.STARTING, "restarting after crash");
            answer.whenComplete((r, err) -> ctx.loop().execute(() -> {
                if (gen == generation) {
                    afterArmedExit(gen, p, r != null ? r : ForkerReply.failure(String.valueOf(err)));
                }
            }));
            return;
        }
        process = null;
        watch = null;
        switch (phase) {
            case RUNNING -> exitedRunning(p);
            case STOPPING_DISARM, STOPPING_ACTION, STOPPING_SIGTERM, STOPPING_SIGKILL -> {
                ++generation;
                cancelTimer();
                killLeftovers(p); // what ignored the SIGTERM its leader died of
                transition(Phase.STOPPED, "stopped");
                reconcile();
            }
            case STOPPED, WAITING, STARTING, CONFIRMING, BACKOFF, INVALID -> {
                // no process is tracked in these phases
            }
        }
    }

    /** A running process exited without being asked to, and nothing restarted it yet. */
    private void exitedRunning(ProcessInfo p) {
        process = null;
        watch = null;
        if (!mayStart()) {
            transition(Phase.STOPPED, "exited");
            reconcile();
            return;
        }
        Optional<ProcessInfo> successor = findLiveProcess();
        if (successor.isPresent()) {
            // A daemon that re-executed itself under a new PID (a binary upgrade) and
            // rewrote its PID file: the service is still up, follow it.
            running(successor.get(), "now " + successor.get().describe() + " by its PID file");
            return;
        }
        restarts++;
        killLeftovers(p);
        RestartPolicy.Decision d = policy.exited("process " + p.pid() + " exited");
        // The restart goes out first; the bookkeeping (event file, logs) follows it.
        if (d.immediate()) {
            start("restarting after crash");
        }
        ctx.events().warning(name, "crashed", "process " + p.pid() + " exited unexpectedly");
        if (policy.failures() == 0) {
            clearFailing();
        }
        if (!d.immediate()) {
            backoff(d);
        }
    }

    /**
     * A foreground service leads a session we created for it: whatever is left in its process
     * group after it died (its children) belongs to the dead instance and would otherwise
     * outlive it, holding ports or files the next instance needs.
     */
    private void killLeftovers(ProcessInfo p) {
        if (def.foreground() && p.pgid() == p.pid()) {
            ctx.os().killGroup(p.pgid(), Os.SIGKILL);
        }
    }

    private void backoff(RestartPolicy.Decision d) {
        long gen = ++generation;
        noteFailing();
        nextStartAt = ctx.clock().instant().plus(d.delay());
        transition(Phase.BACKOFF, d.reason() + "; next start in " + d.delay().toMillis() / 1000.0 + " s");
        timer = ctx.loop().schedule(() -> {
            if (gen != generation || phase != Phase.BACKOFF) {
                return;
            }
            timer = null;
            if (mayStart()) {
                start("backoff over");
            } else {
                transition(Phase.STOPPED, stopReason().orElse("start conditions lost"));
                reconcile();
            }
        }, d.delay().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- stopping ----

    private void stop(String why) {
        if (armedPid != null) {
            ++generation;
            cancelTimer();
            transition(Phase.STOPPING_DISARM, why);
            if (!disarming) {
                disarm();
            }
            return; // goes on in disarmed()
        }
        stopNow(why);
    }

    private void stopNow(String why) {
        long gen = ++generation;
        cancelTimer();
        List<String> stopCommands = def == null ? List.of()
                : def.stopActions().map(ActionList::commands).orElse(List.of());
        if (stopCommands.isEmpty()) {
            terminate(gen, why);
            return;
        }
        transition(Phase.STOPPING_ACTION, why);
        ctx.forker().send(request(ForkerRequest.RUN, stopCommands, null))
                .whenComplete((r, err) -> ctx.loop().execute(() -> {
                    if (gen != generation) {
                        return;
                    }
                    remember("stop", r != null ? r : ForkerReply.failure(String.valueOf(err)));
                    terminate(gen, "stop actions done, process still running");
                }));
        timer = ctx.loop().schedule(() -> {
            if (gen == generation && phase == Phase.STOPPING_ACTION) {
                terminate(gen, "stop actions did not stop it within " + ctx.stopTimeout().toSeconds() + " s");
            }
        }, ctx.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void terminate(long gen, String why) {
        cancelTimer();
        transition(Phase.STOPPING_SIGTERM, why);
        signal(Os.SIGTERM);
        timer = ctx.loop().schedule(() -> {
            if (gen != generation || phase != Phase.STOPPING_SIGTERM) {
                return;
            }
            transition(Phase.STOPPING_SIGKILL, "still running " + ctx.stopTimeout().toSeconds() + " s after SIGTERM");
            signal(Os.SIGKILL);
            timer = ctx.loop().schedule(() -> {
                if (gen == generation && phase == Phase.STOPPING_SIGKILL) {
                    ctx.events().alert(name, "unkillable", "process " + process.pid() + " survived SIGKILL");
                    forgetProcess();
                    transition(Phase.STOPPED, "gave up waiting after SIGKILL");
                }
            }, SIGKILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }, ctx.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Signals the service's process group, and the process itself in case it left the group. */
    private void signal(int sig) {
        ProcessInfo p = process;
        if (p == null) {
            return;
        }
        Optional<ProcessInfo> now = ctx.os().inspect(p.pid());
        if (now.isEmpty() || now.get().startTime() != p.startTime()) {
            return; // the PID no longer names our process: never signal a stranger
        }
        long ownGroup = ctx.os().inspect(ctx.os().pid()).map(ProcessInfo::pgid).orElse(-1L);
        if (p.pgid() > 1 && p.pgid() != ownGroup) {
            ctx.os().killGroup(p.pgid(), sig);
        }
        ctx.os().kill(p.pid(), sig);
    }

    private void forgetProcess() {
        if (watch != null) {
            watch.cancel();
        }
        watch = null;
        process = null;
    }

    // ---- finding the process ----

    private Path pidFile() {
        ProcessSpec spec = def.process;
        return def.foreground() ? ctx.paths().foregroundPidFile(name) : ctx.paths().resolveConfigured(spec.pidfile);
    }

    /** The service's process, if its PID file names a live process with the right name. */
    private Optional<ProcessInfo> findLiveProcess() {
        return PidFiles.liveProcess(ctx.os(), pidFile()).filter(p -> p.matchesName(def.process.name));
    }

    private String whyNotRunning() {
        Path pf = pidFile();
        OptionalLong pid = PidFiles.read(pf);
        if (pid.isEmpty()) {
            return "no PID in " + pf + " within " + ctx.startTimeout().toSeconds() + " s";
        }
        Optional<ProcessInfo> p = ctx.os().inspect(pid.getAsLong()).filter(ProcessInfo::alive);
        if (p.isEmpty()) {
            return pf + " names pid " + pid.getAsLong() + ", which is not running";
        }
        return pf + " names " + p.get().describe() + ", not a '" + def.process.name + "' process";
    }

    // ---- bookkeeping ----

    private ForkerRequest request(String op, List<String> actions, String command) {
        ProcessSpec spec = def.process;
        Map<String, String> env = new LinkedHashMap<>();
        spec.env.forEach(e -> env.put(e.name, e.value == null ? "" : e.value));
        String pid = ForkerRequest.SPAWN.equals(op) ? pidFile().toString() : null;
        // Relative paths in actions mean the node root, as for the pidfile attribute.
        String workdir = ctx.paths().resolveConfigured(spec.workingDirectory == null ? "." : spec.workingDirectory)
                .toString();
        return new ForkerRequest(op, name, actions, command, env.isEmpty() ? null : env, spec.user, spec.group,
                workdir, ctx.actionTimeout().toMillis(), pid,
                ctx.paths().serviceLog(name).toString());
    }

    private void remember(String list, ForkerReply reply) {
        lastActions.addLast(new ActionResult(list, ctx.clock().instant().toString(), reply.ok(), reply.summary(),
                reply.durationMillis(), reply.outputTail()));
        while (lastActions.size() > KEPT_ACTION_RESULTS) {
            lastActions.removeFirst();
        }
    }


    private String logTail() {
        try {
            Path log = ctx.paths().serviceLog(name);
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return "; last output: " + lines.get(i).strip();
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // no log yet
        }
        return "";
    }

    private void noteFailing() {
        Instant now = ctx.clock().instant();
        if (failingSince == null) {
            failingSince = now;
        }
        Duration failing = Duration.between(failingSince, now);
        if (!alertedFirst && failing.compareTo(FIRST_ALERT) >= 0) {
            alertedFirst = true;
            ctx.events().alert(name, "failing", "failing for " + failing.toMinutes() + " minutes: " + reason);
        }
        if (!alertedSecond && failing.compareTo(SECOND_ALERT) >= 0) {
            alertedSecond = true;
            ctx.events().alert(name, "failing", "failing for " + failing.toMinutes() + " minutes: " + reason);
        }
    }

    private void clearFailing() {
        failingSince = null;
        alertedFirst = false;
        alertedSecond = false;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The one place the phase changes: logs {@code old -> new (reason)} and publishes one event. */
    private void transition(Phase to, String why) {
        Phase from = phase;
        phase = to;
        reason = why;
        since = ctx.clock().instant();
        if (to != Phase.BACKOFF) {
            nextStartAt = null;
        }
        // logp: the source given, so that no stack walk looks for it (a start-up logs hundreds).
        LOG.logp(java.util.logging.Level.INFO, ServiceSupervisor.class.getName(), "transition",
                name + ": " + from + " -> " + to + " (" + why + ")");
        switch (to) {
            case BACKOFF, INVALID -> ctx.events().warning(name, to.state(), why);
            case STOPPING_SIGKILL -> ctx.events().warning(name, "sigkill", why);
            case RUNNING, STOPPED -> ctx.events().info(name, to.state(), why);
            case WAITING, STARTING, CONFIRMING, STOPPING_DISARM, STOPPING_ACTION, STOPPING_SIGTERM -> {
                // steps inside a start or stop: in the master's log, not the event log
            }
        }
        publish();
        ctx.statusChanged().run();
    }

    private void publish() {
        String state = invalid != null ? Phase.INVALID.state() : phase.state();
        String why = invalid != null
                ? invalid.getMessage() + (def != null ? " (running under the last good definition: " + reason + ")" : "")
                : reason;
        Double backoff = nextStartAt == null ? null
                : Math.max(0, Duration.between(ctx.clock().instant(), nextStartAt).toMillis()) / 1000.0;
        status = new ServiceStatus(
                name,
                def == null ? null : def.description == null ? null : def.description.strip(),
                enabled(),
                def == null || def.displayed(),
                state,
                process == null ? null : process.pid(),
                restarts,
                def == null ? List.of() : def.knownOptions().stream().map(o -> o.xml()).toList(),
                phase.name(),
                why,
                backoff,
                nextStartAt == null ? null : nextStartAt.toString(),
                since.toString(),
                file == null ? null : file.toString(),
                def == null ? null : def.process.name,
                def == null ? null : pidFile().toString(),
                List.copyOf(lastActions),
                armedPid != null && armConfirmed && !disarming);
    }

    private static boolean sameRestart(RestartSpec a, RestartSpec b) {
        return b != null && a.initialDelay().equals(b.initialDelay()) && a.maxDelay().equals(b.maxDelay())
                && a.resetAfterDelay().equals(b.resetAfterDelay());
    }
}
