package io.mcp.forker;

import io.mcp.core.os.Os;
import io.mcp.core.proto.ForkerReply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Restarts a crashed foreground service from the forker itself, the moment its reaper collects
 * it, instead of waiting for the master to notice the death and ask for a new start.
 *
 * <p>The master decides: it <em>arms</em> a running service it would restart at once if it died
 * (its restart policy says so), with the very request that started it. When an armed service
 * dies, the reaper thread kills what is left of its process group and spawns it again through the
 * same path as a {@code spawn} request (the PID file is written again), before anything else.
 * The master, which sees the death through its own pidfd, then asks {@link #respawned} for the
 * new PID and does its bookkeeping; it {@link #disarm}s before any stop it means.
 *
 * <p>One arm is used up by one respawn: the respawned process is not armed until the master
 * arms it again. So a master that is gone (crashed, restarting) lets its services be restarted
 * once at most without it; the next master adopts that process through its PID file, or is
 * answered with it when it asks for a start first ({@link #unclaimedRespawn}).
 *
 * <p>Each arm is settled exactly once, by the first of the reaper (respawn), {@link #disarm} and
 * {@link #respawned}: a disarmed or unanswered arm never respawns afterwards.
 */
final class Respawner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Respawner.class.getName());
    /** How long {@link #respawned} waits for the reaper to collect a process the master saw die. */
    static final Duration EXIT_WAIT = Duration.ofSeconds(2);
    /** A respawn is one posix_spawn and a PID file: this only bounds a wait that never should be long. */
    private static final Duration RESPAWN_WAIT = Duration.ofSeconds(30);

    /** Spawns the service again, exactly as the request it was armed with would, writing {@code pidFile}. */
    record Restart(Path pidFile, Supplier<ServiceStarter.Started> start) {
    }

    private enum State { ARMED, RESPAWNING, DONE }

    private static final class Arm {
        final String service;
        final Restart restart;
        State state = State.ARMED;
        final CompletableFuture<ForkerReply> result = new CompletableFuture<>();

        Arm(String service, Restart restart) {
            this.service = service;
            this.restart = restart;
        }
    }

    /** SIGKILLs a process group; false when there is none. */
    private final LongPredicate killGroup;
    private final Object lock = new Object();
    /** Services spawned here, by PID, until their exit has been handled here (completes then). */
    private final Map<Long, CompletableFuture<Void>> running = new HashMap<>();
    private final Map<Long, Arm> arms = new HashMap<>();
    private boolean closed;

    /**
     * Kills process groups with the forker's own libc binding: {@link Os#killGroup} would load
     * jnr-posix into the forker (a fifth of a second at the first respawn, and some 20 MB).
     */
    Respawner() {
        this(pgid -> pgid > 1 && ForkerLibc.LIBC.kill((int) -pgid, Os.SIGKILL) == 0);
    }

    Respawner(LongPredicate killGroup) {
        this.killGroup = killGroup;
    }

    /** A service was spawned: it may be armed from now on, until it dies. */
    void spawned(Spawner.Child child) {
        long pid = child.pid();
        CompletableFuture<Void> handled = new CompletableFuture<>();
        synchronized (lock) {
            running.put(pid, handled);
        }
        // Runs in the reaper thread as it collects the child (or here, if it is already gone).
        child.exit().whenComplete((status, error) -> {
            try {
                died(pid, status);
            } finally {
                handled.complete(null);
            }
        });
    }

    private void died(long pid, ExitStatus status) {
        Arm arm;
        synchronized (lock) {
            running.remove(pid);
            arm = arms.get(pid);
            if (closed || arm == null || arm.state != State.ARMED) {
                return;
            }
            arm.state = State.RESPAWNING;
        }
        // What the dead instance left in its group would hold ports or files the new one needs.
        killGroup.test(pid);
        ForkerReply reply;
        try {
            ServiceStarter.Started started = arm.restart.start().get();
            reply = started.reply();
            if (started.child() != null) {
                spawned(started.child());
            }
        } catch (RuntimeException e) {
            reply = ForkerReply.failure("respawn failed: " + e);
        }
        synchronized (lock) {
            arm.state = State.DONE;
        }
        arm.result.complete(reply);
        // Logged once the new process is on its way.
        LOG.logp(Level.INFO, Respawner.class.getName(), "died", arm.service + ": pid " + pid + " " + describe(status)
                + "; respawned: " + reply.summary());
    }

    /** Arms {@code pid}, a running service spawned here, to be started again with {@code restart} if it dies. */
    ForkerReply arm(long pid, String service, Restart restart) {
        synchronized (lock) {
            if (closed) {
                return ForkerReply.failure("mcp-forker is closing");
            }
            CompletableFuture<Void> handled = running.get(pid);
            if (handled == null || handled.isDone()) {
                return ForkerReply.failure("pid " + pid + " is not a running service of this mcp-forker");
            }
            arms.put(pid, new Arm(service, restart));
        }
        return new ForkerReply(true, null, null, false, false, 0, null, null, null, null);
    }

    /**
     * Disarms {@code pid}: it will not be respawned. If it was respawned already, answers with that
     * respawn (the new PID), as {@link #respawned} would.
     */
    ForkerReply disarm(long pid) throws InterruptedException {
        return settle(pid, false);
    }

    /**
     * {@code pid} died (the master saw it): answers with the PID it was respawned as, or not ok
     * when it was not armed or its exit was not collected in time, in which case it never will be
     * respawned. Waits for the reaper at most {@link #EXIT_WAIT}.
     */
    ForkerReply respawned(long pid) throws InterruptedException {
        return settle(pid, true);
    }

    private ForkerReply settle(long pid, boolean died) throws InterruptedException {
        CompletableFuture<Void> handled;
        synchronized (lock) {
            if (!arms.containsKey(pid)) {
                return notRespawned(pid, died, "was not armed");
            }
            handled = running.get(pid);
        }
        if (died && handled != null) {
            try {
                handled.get(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not collected yet: disarmed below, so that it never respawns unasked
            } catch (ExecutionException e) {
                throw new IllegalStateException("an exit handler never fails", e);
            }
        }
        Arm arm;
        synchronized (lock) {
            arm = arms.get(pid);
            if (arm == null) {
                return notRespawned(pid, died, "was settled meanwhile");
            }
            if (arm.state == State.ARMED) {
                arms.remove(pid);
                return notRespawned(pid, died, died ? "had not exited within " + EXIT_WAIT.toMillis() + " ms"
                        : "is disarmed");
            }
        }
        ForkerReply reply;
        try {
            reply = arm.result.get(RESPAWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            reply = ForkerReply.failure("respawn of pid " + pid + " still running after " + RESPAWN_WAIT.toSeconds()
                    + " s");
        } catch (ExecutionException e) {
            throw new IllegalStateException("a respawn result is never failed", e);
        }
        synchronized (lock) {
            arms.remove(pid, arm);
        }
        return reply;
    }

    /**
     * Before a spawn that writes {@code pidFile}: the respawn, not yet asked about, of an armed
     * service that writes the same PID file, if its new process still runs. A master that did not
     * set the arm (it started after the one that did) and saw the death before the PID file named
     * the new process would otherwise start a second copy. Waits for a respawn under way, and for
     * the reaper to collect an armed process that has died ({@code dead}) but is not collected yet.
     * Null when there is none: the spawn goes ahead.
     */
    ForkerReply unclaimedRespawn(Path pidFile, LongPredicate dead) throws InterruptedException {
        long pid = 0;
        Arm arm = null;
        CompletableFuture<Void> handled;
        synchronized (lock) {
            // A respawn done or under way first: the process it started may be armed again too.
            for (Map.Entry<Long, Arm> e : arms.entrySet()) {
                if (e.getValue().restart.pidFile().equals(pidFile) && (arm == null || arm.state == State.ARMED)) {
                    pid = e.getKey();
                    arm = e.getValue();
                }
            }
            if (arm == null) {
                return null;
            }
            handled = running.get(pid);
        }
        if (handled != null && dead.test(pid)) {
            try {
                handled.get(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException("an exit handler never fails", e);
            }
        }
        synchronized (lock) {
            if (arms.get(pid) != arm || arm.state == State.ARMED) {
                return null; // settled meanwhile, or alive and still armed: the master decides
            }
        }
        ForkerReply reply;
        try {
            reply = arm.result.get(RESPAWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a respawn result is never failed", e);
        }
        synchronized (lock) {
            if (!arms.remove(pid, arm)) {
                return null; // settled by the master's own question meanwhile
            }
            CompletableFuture<Void> respawnedHandled = reply.pid() == null ? null : running.get(reply.pid());
            if (!reply.ok() || respawnedHandled == null || respawnedHandled.isDone()) {
                return null; // the respawn failed, or its process is gone too: a new one is started
            }
        }
        LOG.info(arm.service + ": the start asked for is pid " + reply.pid() + ", which pid " + pid
                + " was respawned as");
        return reply;
    }

    private static ForkerReply notRespawned(long pid, boolean died, String why) {
        if (!died) {
            return new ForkerReply(true, null, null, false, false, 0, null, null, null, null);
        }
        return ForkerReply.failure("pid " + pid + " not respawned: it " + why);
    }

    /** Whether {@code pid} is armed now (for tests and logs). */
    boolean armed(long pid) {
        synchronized (lock) {
            Arm arm = arms.get(pid);
            return arm != null && arm.state == State.ARMED;
        }
    }

    private static String describe(ExitStatus status) {
        if (status == null) {
            return "gone";
        }
        return status.signal() != null ? "killed by signal " + status.signal() : "exited with code " + status.code();
    }

    /** Drops every arm: nothing is respawned once the forker stops serving. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            arms.clear();
        }
    }
}
