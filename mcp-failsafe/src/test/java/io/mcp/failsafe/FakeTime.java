package io.mcp.failsafe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.PriorityQueue;

/** A clock that moves only when told to, and a scheduler whose tasks run as it moves. */
final class FakeTime extends Clock implements Failsafe.Scheduler {
    private record Task(Instant due, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> tasks =
            new PriorityQueue<>(Comparator.comparing(Task::due).thenComparingLong(Task::seq));
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private long seq;

    @Override
    public synchronized void schedule(Duration delay, Runnable task) {
        tasks.add(new Task(now.plus(delay), seq++, task));
    }

    /** Moves time forward, running each task that falls due at its due time. */
    void advance(Duration d) {
        Instant end = now.plus(d);
        while (true) {
            Task t;
            synchronized (this) {
                t = tasks.peek();
                if (t == null || t.due().isAfter(end)) {
                    break;
                }
                tasks.poll();
                now = t.due();
            }
            t.run().run(); // outside our lock: the task takes the failsafe's, which may be waiting for ours
        }
        now = end;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
