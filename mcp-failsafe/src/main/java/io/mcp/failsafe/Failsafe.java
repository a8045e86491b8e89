package io.mcp.failsafe;

import io.mcp.core.daemon.Daemon;
import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.model.RestartSpec;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidFiles;
import io.mcp.core.os.ProcessInfo;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.restart.RestartPolicy;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.commons.io.input.ReversedLinesFileReader;

/**
 * Keeps the MCP processes of one node running: starts each child in list order, restarts it when
 * it exits (at once the first time, then with the backoff of {@link RestartPolicy}), raises an
 * alert after 10 and again after 30 minutes of continuous failure, and on {@link #stop()} stops
 * the children in reverse order.
 *
 * <p>Each child's stdin is a pipe whose write end only this process holds and never writes to:
 * the lifeline. When the failsafe dies, even by SIGKILL, the kernel closes it, the child reads
 * end of file and exits, so no MCP process outlives its failsafe. Managed services are not its
 * children and are never signalled from here.
 */
public final class Failsafe {
    /** A supervised process: its name (as in {@code ps} and its PID file) and its command line. */
    public record Child(String name, List<String> command) {
        public Child {
            command = List.copyOf(command);
        }
    }

    /** Runs delayed work. Production uses one daemon thread; tests step a fake clock instead. */
    public interface Scheduler {
        /** Runs {@code task} once, after {@code delay}. */
        void schedule(Duration delay, Runnable task);

        /** A scheduler on one daemon thread: it must not keep the JVM alive at exit. */
        static Scheduler daemonThread() {
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "failsafe-timer");
                t.setDaemon(true);
                return t;
            });
            return (delay, task) -> executor.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    bug(e);
                }
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Where a child stands. */
    enum State {
        STOPPED, RUNNING, BACKOFF, STOPPING;

        boolean canFollow(State from) {
            return switch (this) {
                case RUNNING -> from == STOPPED || from == BACKOFF;
                // BACKOFF -> BACKOFF: a delayed start that failed again
                case BACKOFF -> from == STOPPED || from == RUNNING || from == BACKOFF;
                case STOPPING -> from == RUNNING;
                // RUNNING -> STOPPED: it exited by itself while the failsafe was stopping
                case STOPPED -> from == RUNNING || from == BACKOFF || from == STOPPING;
            };
        }
    }

    /**
     * A child as tests see it.
     *
     * @param pid the running process, -1 unless {@code RUNNING} or {@code STOPPING}
     * @param starts start attempts so far, failed ones included
     * @param backoff the wait before the next start, while in {@code BACKOFF}
     */
    record Status(State state, long pid, int starts, Duration backoff) {
    }

    private static final Logger LOG = Logger.getLogger(Failsafe.class.getName());
    /** A previous failsafe's child follows its lifeline within 2 s; after that it is killed. */
    static final Duration ORPHAN_GRACE = Duration.ofSeconds(2);
    static final Duration STOP_GRACE = Duration.ofSeconds(5);
    static final Duration CHECK_PERIOD = Duration.ofSeconds(10);
    static final List<Duration> ALERTS_AFTER = List.of(Duration.ofMinutes(10), Duration.ofMinutes(30));

    private final NodePaths paths;
    /** Fixed at construction; each one's mutable fields are guarded by this failsafe's lock. */
    private final List<Supervised> children = new ArrayList<>();
    private final Os os;
    private final Clock clock;
    private final Scheduler scheduler;
    private final EventLog events;
    /** Event writes held back while {@link #start()} launches the children; null otherwise. Guarded by this. */
    private List<Runnable> deferred;
    /** Guarded by this. */
    private Consumer<String> configError;
    /** Volatile: set from a signal handler, before {@link #stop()} takes the lock. */
    private volatile boolean stopping;

    /**
     * @param children started in this order and stopped in the reverse order
     * @param clock the time restarts and alerts are measured by
     * @param scheduler runs delayed restarts and the periodic alert check
     */
    public Failsafe(NodePaths paths, List<Child> children, Os os, Clock clock, Scheduler scheduler) {
        this.paths = paths;
        this.os = os;
        this.clock = clock;
        this.scheduler = scheduler;
        this.events = new EventLog(paths.eventsLog(), clock);
        for (Child c : children) {
            this.children.add(new Supervised(c, new RestartPolicy(clock, RestartSpec.DEFAULT_INITIAL,
                    RestartSpec.DEFAULT_MAX, RestartSpec.DEFAULT_RESET_AFTER)));
        }
    }

    /**
     * Starts every child, in order, and the periodic alert check. The events of these first
     * starts are written once all children are launched: the master does not wait for the
     * forker's event line.
     */
    public synchronized void start() {
        deferred = new ArrayList<>();
        try {
            // Every process first, then the bookkeeping of each (its exit watch, its event):
            // the master does not wait for the forker's.
            List<Runnable> bookkeeping = new ArrayList<>();
            for (Supervised s : children) {
                Process p = spawn(s);
                if (p != null) {
                    bookkeeping.add(() -> started(s, p));
                }
            }
            bookkeeping.forEach(Runnable::run);
        } finally {
            List<Runnable> writes = deferred;
            deferred = null;
            writes.forEach(Runnable::run);
        }
        scheduler.schedule(CHECK_PERIOD, this::check);
    }

    /**
     * Whom to tell when a child exits with {@link Daemon#EXIT_CONFIG} at its very first start:
     * the failsafe then restarts nothing more, and {@code listener} is expected to stop it.
     * Without one, that exit is a failure like any other.
     */
    public synchronized void onConfigError(Consumer<String> listener) {
        configError = listener;
    }

    /**
     * From now on a child that exits stays down. Safe to call from a signal handler: a Ctrl-C in
     * a terminal reaches the children too, and they must not be restarted as they go.
     */
    public void stopRestarting() {
        stopping = true;
    }

    /**
     * Stops restarting, then stops the children in reverse order: SIGTERM, and SIGKILL if one
     * is still there after {@link #STOP_GRACE}. Returns when they are gone.
     */
    public void stop() {
        stopRestarting();
        List<Supervised> order = new ArrayList<>(children);
        Collections.reverse(order);
        for (Supervised s : order) {
            stopChild(s);
        }
    }

    synchronized Status status(String name) {
        Supervised s = children.stream().filter(c -> c.child.name().equals(name)).findFirst().orElseThrow();
        return new Status(s.state, s.process == null ? -1 : s.process.pid(), s.starts, s.backoff);
    }

    /**
     * The live process a PID file names, if it is the MCP process {@code name}: its comm or its
     * command line says so. A PID reused by an unrelated process does not count.
     */
    static Optional<ProcessInfo> liveProcess(Os os, Path pidFile, String name) {
        return PidFiles.liveProcess(os, pidFile).filter(p -> p.matchesName(name)
                || ProcessHandle.of(p.pid()).flatMap(h -> h.info().commandLine()).orElse("").contains(name));
    }

    private void launch(Supervised s) {
        Process p = spawn(s);
        if (p != null) {
            started(s, p);
        }
    }

    /** Starts the child's process; null when it could not be started (then it is backing off). */
    private Process spawn(Supervised s) {
        s.starts++;
        s.backoff = Duration.ZERO;
        awaitOrphanGone(s.child.name());
        try {
            return new ProcessBuilder(s.child.command())
                    .directory(paths.root().toFile())
                    .redirectInput(Redirect.PIPE) // the lifeline: held open, never written
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(paths.processLog(s.child.name()).toFile()))
                    .start();
        } catch (IOException e) {
            backOff(s, s.policy.startFailed("cannot start: " + e.getMessage()), "start-failed");
            return null;
        }
    }

    /** The child's process runs: it is watched from now on. */
    private void started(Supervised s, Process p) {
        s.process = p;
        s.startedAt = clock.instant();
        s.policy.started();
        transition(s, State.RUNNING, "started", "pid " + p.pid());
        // Async: a child that died at once completes onExit() already, and its handling must not
        // run inside this launch.
        p.onExit().thenRunAsync(() -> exited(s, p)).exceptionally(e -> {
            bug(e);
            return null;
        });
    }

    private synchronized void exited(Supervised s, Process p) {
        if (s.process != p || s.state != State.RUNNING) {
            return; // being stopped: stopChild() reports it
        }
        s.process = null;
        // A status of 128 or more is a signal's: the log's last line would not say why.
        String why = "exited with status " + p.exitValue()
                + (p.exitValue() > 0 && p.exitValue() < 128 ? lastWords(s.child.name()) : "");
        if (stopping) {
            transition(s, State.STOPPED, "exited", why);
            return;
        }
        if (p.exitValue() == Daemon.EXIT_CONFIG && s.starts == 1 && configError != null) {
            // A file is wrong, and the operator who just started the agent is there to fix it.
            // Later on, services run: retrying (and alerting) until the file is fixed is better.
            stopping = true;
            transition(s, State.STOPPED, "config-error", why);
            configError.accept(s.child.name() + " cannot start: " + why);
            return;
        }
        endFailingIfStable(s, clock.instant());
        backOff(s, s.policy.exited(why), "exited");
    }

    /** The last line a child wrote to its log (why it exited, usually), after {@code ": "}; or nothing. */
    private String lastWords(String name) {
        Path log = paths.processLog(name);
        try (ReversedLinesFileReader r = ReversedLinesFileReader.builder().setPath(log)
                .setCharset(StandardCharsets.UTF_8).get()) {
            for (int i = 0; i < 5; i++) {
                String line = r.readLine();
                if (line == null) {
                    break;
                }
                if (!line.isBlank()) {
                    String last = line.strip();
                    return ": " + (last.length() > 300 ? last.substring(0, 300) + "..." : last);
                }
            }
        } catch (IOException e) {
            // no log: nothing to add
        }
        return "";
    }

    private void backOff(Supervised s, RestartPolicy.Decision d, String kind) {
        if (s.failingSince == null) {
            s.failingSince = clock.instant();
        }
        s.lastFailure = d.reason();
        s.backoff = d.delay();
        transition(s, State.BACKOFF, kind, d.reason() + "; "
                + (d.immediate() ? "restarting now" : "next start in " + d.delay().toSeconds() + " s"));
        if (d.immediate()) {
            launch(s);
        } else {
            scheduler.schedule(d.delay(), () -> restartDue(s));
        }
    }

    private synchronized void restartDue(Supervised s) {
        if (!stopping && s.state == State.BACKOFF) {
            launch(s);
        }
    }

    /** Raises each alert once per failing spell; a spell ends when the child stays up. */
    private synchronized void check() {
        if (stopping) {
            return;
        }
        scheduler.schedule(CHECK_PERIOD, this::check);
        Instant now = clock.instant();
        for (Supervised s : children) {
            endFailingIfStable(s, now);
            if (s.failingSince != null && s.alertsRaised < ALERTS_AFTER.size()
                    && !now.isBefore(s.failingSince.plus(ALERTS_AFTER.get(s.alertsRaised)))) {
                s.alertsRaised++;
                events.alert(s.child.name(), "failing", "failing for "
                        + Duration.between(s.failingSince, now).toMinutes() + " minutes; last: " + s.lastFailure);
            }
        }
    }

    private void endFailingIfStable(Supervised s, Instant now) {
        if (s.failingSince != null && s.state == State.RUNNING
                && !now.isBefore(s.startedAt.plus(RestartSpec.DEFAULT_RESET_AFTER))) {
            if (s.alertsRaised > 0) {
                events.info(s.child.name(), "recovered", "up since " + s.startedAt + " after failing since "
                        + s.failingSince);
            }
            s.failingSince = null;
            s.alertsRaised = 0;
        }
    }

    private void stopChild(Supervised s) {
        Process p;
        synchronized (this) {
            if (s.state == State.BACKOFF) {
                transition(s, State.STOPPED, "stopped", "stop requested");
            }
            if (s.state != State.RUNNING) {
                return;
            }
            p = s.process;
            transition(s, State.STOPPING, "stopping", "sending SIGTERM to pid " + p.pid());
        }
        // SIGTERM through the handle: Process.destroy would also close our end of the lifeline at
        // once, and the child would take its orderly stop for a failsafe that died. The JDK
        // closes that end once it has reaped the child.
        p.toHandle().destroy();
        String how;
        if (waitFor(p, STOP_GRACE)) {
            how = "exited with status " + p.exitValue();
        } else {
            p.destroyForcibly();
            waitFor(p, STOP_GRACE);
            how = "killed with SIGKILL after " + STOP_GRACE.toSeconds() + " s";
        }
        synchronized (this) {
            s.process = null;
            transition(s, State.STOPPED, "stopped", how);
        }
    }

    /**
     * A child of a previous failsafe may still be on its way out (its lifeline closed, it has
     * 2 s). Wait for it, then kill it: two masters must never run at once.
     */
    private void awaitOrphanGone(String name) {
        Optional<ProcessInfo> orphan = liveProcess(os, paths.pidFile(name), name);
        if (orphan.isEmpty() || awaitExit(orphan.get(), ORPHAN_GRACE)) {
            return;
        }
        ProcessInfo o = orphan.get();
        try {
            os.kill(o.pid(), Os.SIGKILL);
        } catch (IllegalStateException e) {
            LOG.warning(name + ": cannot kill " + o.describe() + ": " + e.getMessage());
        }
        events.warning(name, "orphan-killed", o.describe() + " of a previous mcp-failsafe was still running after "
                + ORPHAN_GRACE.toSeconds() + " s: sent SIGKILL");
        awaitExit(o, ORPHAN_GRACE);
    }

    /** Real time, not the injected clock: this waits for a real process. */
    private boolean awaitExit(ProcessInfo p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (os.inspect(p.pid()).filter(i -> i.alive() && i.startTime() == p.startTime()).isPresent()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** The one place a child's state changes: it logs {@code old -> new (reason)} as one event. */
    private void transition(Supervised s, State to, String kind, String reason) {
        if (!to.canFollow(s.state)) {
            throw new IllegalStateException(s.child.name() + ": " + s.state + " -> " + to + " is not a transition");
        }
        String message = s.state.name().toLowerCase() + " -> " + to.name().toLowerCase() + " (" + reason + ")";
        s.state = to;
        // Stamped now, even when written a moment later by start().
        Event event = new Event(clock.instant().toString(),
                to == State.BACKOFF || kind.equals("config-error") ? "warning" : "info",
                s.child.name(), kind, message);
        Runnable write = () -> events.append(event);
        if (deferred != null) {
            deferred.add(write);
        } else {
            write.run();
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // stop quickly: the caller escalates to SIGKILL
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    /** Where errors of background tasks go: a bug, never an expected outcome. */
    private static void bug(Throwable e) {
        LOG.log(Level.SEVERE, "failsafe task failed", e);
    }

    /** The mutable side of one child; guarded by the failsafe's lock. */
    private static final class Supervised {
        final Child child;
        final RestartPolicy policy;
        State state = State.STOPPED;
        Process process;
        Instant startedAt;
        int starts;
        Duration backoff = Duration.ZERO;
        Instant failingSince;
        String lastFailure;
        int alertsRaised;

        Supervised(Child child, RestartPolicy policy) {
            this.child = child;
            this.policy = policy;
        }
    }
}
