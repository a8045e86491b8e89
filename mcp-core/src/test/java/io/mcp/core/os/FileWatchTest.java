package io.mcp.core.os;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.os.FileWatch.Event;
import io.mcp.core.os.FileWatch.Kind;
import io.mcp.core.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileWatchTest {
    @TempDir
    Path dir;

    private final List<Event> events = new ArrayList<>();
    private FileWatch watch;

    @AfterEach
    void close() {
        if (watch != null) {
            watch.close();
        }
    }

    private FileWatch open() throws Exception {
        watch = new FileWatch("test-watch", batch -> {
            synchronized (events) {
                events.addAll(batch);
            }
        });
        return watch;
    }

    private boolean seen(Kind kind, Path path) {
        synchronized (events) {
            return events.stream().anyMatch(e -> e.kind() == kind && path.equals(e.path()));
        }
    }

    private void awaitEvent(Kind kind, Path path) {
        Await.until(() -> seen(kind, path), () -> kind + " " + path + " among " + snapshot());
    }

    private List<Event> snapshot() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    @Test
    void tellsAFileWrittenInPlaceAndClosed() throws Exception {
        open().watch(dir);
        Path f = dir.resolve("a.conf");
        Files.writeString(f, "one");
        awaitEvent(Kind.CREATE, f);
        awaitEvent(Kind.CLOSE_WRITE, f);
    }

    @Test
    void tellsARenameIntoPlaceAsMovedToAndTheTemporaryNameAsMovedFrom() throws Exception {
        open().watch(dir);
        Path tmp = dir.resolve(".a.conf.tmp");
        Path f = dir.resolve("a.conf");
        Files.writeString(tmp, "editor");
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
        awaitEvent(Kind.MOVED_TO, f);
        awaitEvent(Kind.MOVED_FROM, tmp);
        assertFalse(seen(Kind.CREATE, f), "a rename is not a creation in place");
    }

    @Test
    void tellsDeletions() throws Exception {
        Path f = dir.resolve("gone");
        Files.writeString(f, "x");
        open().watch(dir);
        Files.delete(f);
        awaitEvent(Kind.DELETE, f);
    }

    @Test
    void aTreeWatchFollowsNewSubdirectoriesAndWhatTheyAlreadyHold() throws Exception {
        open().watchTree(dir);
        Path sub = dir.resolve("services.d");
        Files.createDirectory(sub);
        awaitEvent(Kind.CREATE, sub);
        Await.until(() -> watch.watched().contains(sub), () -> "services.d watched: " + watch.watched());
        Path inside = sub.resolve("x.xml");
        Files.writeString(inside, "<service/>");
        awaitEvent(Kind.CLOSE_WRITE, inside);

        // A whole tree renamed in: its directories are watched and told, for a look at their files.
        Path outside = Files.createTempDirectory(dir.getParent(), "staging");
        Path deep = Files.createDirectories(outside.resolve("a/b"));
        Files.writeString(deep.resolve("early"), "before the watch");
        Path moved = dir.resolve("moved");
        Files.move(outside, moved, StandardCopyOption.ATOMIC_MOVE);
        awaitEvent(Kind.MOVED_TO, moved);
        awaitEvent(Kind.CREATE, moved.resolve("a/b"));
        Files.writeString(moved.resolve("a/b/late"), "after");
        awaitEvent(Kind.CLOSE_WRITE, moved.resolve("a/b/late"));
    }

    @Test
    void aSingleDirectoryWatchIgnoresSubdirectories() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        open().watch(dir);
        Files.writeString(sub.resolve("inner"), "x");
        Path marker = dir.resolve("marker");
        Files.writeString(marker, "x");
        awaitEvent(Kind.CLOSE_WRITE, marker); // events come in order: the inner one would be here by now
        assertFalse(seen(Kind.CLOSE_WRITE, sub.resolve("inner")));
    }

    @Test
    void anOverflowIsToldAndTheTreeIsWatchedAgain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        watch = new FileWatch("test-watch", batch -> {
            synchronized (events) {
                events.addAll(batch);
            }
            held.countDown();
            try {
                release.await(60, TimeUnit.SECONDS); // the reader stops reading: the kernel's queue fills
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        watch.watchTree(dir);
        Files.writeString(dir.resolve("first"), "x");
        assertTrue(held.await(Await.DEADLINE.toSeconds(), TimeUnit.SECONDS), "first batch");
        // Files.readString trusts the size /proc reports (0) and returns one byte here: read a line.
        int max = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/fs/inotify/max_queued_events")).get(0).trim());
        for (int i = 0; i * 2 <= max; i++) {
            Path f = dir.resolve("f" + i);
            Files.createFile(f);
            Files.delete(f);
        }
        Path late = Files.createDirectory(dir.resolve("late")); // its event is among those dropped
        release.countDown();
        Await.until(() -> snapshot().stream().anyMatch(e -> e.kind() == Kind.OVERFLOW), () -> "an overflow");
        Await.until(() -> watch.watched().contains(late), () -> "the new directory watched after the overflow");
        Path after = late.resolve("after");
        Files.writeString(after, "x");
        awaitEvent(Kind.CLOSE_WRITE, after);
    }

    @Test
    void closeIsIdempotentAndStopsTheThread() throws Exception {
        open().watch(dir);
        watch.close();
        watch.close();
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("test-watch") && t.isAlive()), () -> "the watch thread ends");
    }
}
