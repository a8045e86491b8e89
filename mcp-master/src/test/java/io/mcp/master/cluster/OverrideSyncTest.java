package io.mcp.master.cluster;

import static io.mcp.master.cluster.ClusterTesting.THREE;
import static io.mcp.master.cluster.ClusterTesting.WAIT;
import static io.mcp.master.cluster.ClusterTesting.await;
import static io.mcp.master.cluster.ClusterTesting.config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mcp.core.digest.Md5;
import io.mcp.core.event.Event;
import io.mcp.core.event.EventLog;
import io.mcp.core.os.FileWatch;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.cluster.ClusterTesting.Events;
import io.mcp.master.cluster.ClusterTesting.Resources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Override propagation between three nodes on one real ZooKeeper server. */
class OverrideSyncTest {
    private final Resources resources = new Resources();
    private TestingServer server;
    @TempDir
    Path tmp;

    /** One node: its root, cluster session and sync. */
    final class Node implements AutoCloseable {
        final String id;
        final NodePaths paths;
        final EventLog events;
        /** The periodic pass; an hour where a test must see that file events alone suffice. */
        long periodicMs = OverrideSync.PERIODIC_MS;
        OverrideSync.WriteListener writeListener;
        /** Makes a written file or directory durable; null: OverrideSync's own. */
        java.util.function.Consumer<Path> durable;
        ClusterNode cluster;
        OverrideSync sync;

        Node(String id) {
            this.id = id;
            this.paths = new NodePaths(tmp.resolve("node" + id)).ensureLayout();
            this.events = new EventLog(paths.eventsLog(), Clock.systemUTC());
        }

        Node start() throws Exception {
            String connect = server.getConnectString();
            cluster = new ClusterNode(config(id, THREE, connect), connect, new Events(id));
            cluster.start();
            sync = new OverrideSync(paths, cluster, events, Clock.systemUTC(), periodicMs,
                    durable == null ? OverrideSync::fsync : durable);
            if (writeListener != null) {
                sync.setWriteListener(writeListener);
            }
            sync.start();
            await("node " + id + " in sync", sync::inSync);
            return this;
        }

        Path file(String rel) {
            return paths.overrideDir().resolve(rel);
        }

        byte[] read(String rel) {
            try {
                return Files.readAllBytes(file(rel));
            } catch (IOException e) {
                return null;
            }
        }

        boolean has(String rel, byte[] content) {
            return Arrays.equals(read(rel), content);
        }

        List<Event> events(String kind) throws IOException {
            List<Event> out = new ArrayList<>();
            for (Event e : events.tail(1000)) {
                if (kind.equals(e.kind())) {
                    out.add(e);
                }
            }
            return out;
        }

        List<Path> conflicts() throws IOException {
            Path dir = paths.varDir().resolve("conflicts");
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.toList();
            }
        }

        /** Stops this node's sync and session, as when its master is down. */
        @Override
        public void close() {
            if (sync != null) {
                sync.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @BeforeEach
    void startServer() throws Exception {
        server = resources.add(new TestingServer());
    }

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    private Node node(String id) throws Exception {
        return resources.add(new Node(id)).start();
    }

    /** A node whose periodic pass never comes during a test: only file events move it. */
    private Node eventDriven(String id) throws Exception {
        Node n = resources.add(new Node(id));
        n.periodicMs = 3_600_000;
        return n.start();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    /** As an editor saves: a temporary file beside the target, renamed over it. */
    private static void editorWrite(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + ".swp");
        Files.write(temp, content);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Stat stat(Node n, String rel) throws Exception {
        return n.cluster.client().checkExists().forPath(n.cluster.layout().overrideFile(rel));
    }

    @Test
    void aFileWrittenOnOneNodeAppearsOnTheOthers() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        byte[] content = bytes("<cluster-setting a=\"1\"/>\n");
        write(n1.file("settings.xml"), content);
        for (Node n : List.of(n2, n3)) {
            await("settings.xml on node " + n.id, () -> n.has("settings.xml", content));
        }
        Mlist.Entry e = n2.sync.entry("settings.xml");
        assertNotNull(e);
        assertEquals(ClusterTesting.CLUSTER, e.cluster);
        assertEquals(0, e.revision);
        await("var/mlist.xml saved on node 2", () -> mlistRecords(n2, "settings.xml"));
    }

    /** What a write listener was told. */
    private record Told(Path file, BasicFileAttributes attributes, String md5) {
    }

    @Test
    void aWriteFromTheClusterIsToldWithItsAttributesAndTheMlistKeepsTheZnodesZxid() throws Exception {
        Node n1 = eventDriven("1");
        List<Told> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        Node n2 = resources.add(new Node("2"));
        n2.periodicMs = 3_600_000;
        n2.writeListener = (file, attributes, md5) -> told.add(new Told(file, attributes, md5));
        n2.start();
        byte[] content = bytes("told\n");
        editorWrite(n1.file("dir/told.conf"), content);
        await("told.conf on node 2", () -> n2.has("dir/told.conf", content));
        await("the listener told", () -> !told.isEmpty());
        Told t = told.get(0);
        Path file = n2.file("dir/told.conf").toAbsolutePath().normalize();
        assertEquals(file, t.file());
        assertEquals(Md5.of(content), t.md5());
        BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
        assertEquals(now.fileKey(), t.attributes().fileKey());
        assertEquals(now.lastModifiedTime(), t.attributes().lastModifiedTime());
        assertEquals(content.length, t.attributes().size());

        long mzxid = stat(n1, "dir/told.conf").getMzxid();
        assertEquals(mzxid, n1.sync.entry("dir/told.conf").mzxid, "the publisher's mlist");
        assertEquals(mzxid, n2.sync.entry("dir/told.conf").mzxid, "the receiver's mlist");
        n2.close();
        Node again = resources.add(new Node("2")).start();
        assertEquals(mzxid, again.sync.entry("dir/told.conf").mzxid, "kept in var/mlist.xml");
        assertEquals(1, told.size(), "only what was written from the cluster is told");
    }

    @Test
    void aWriteFromTheClusterIsOneRenameIntoPlaceForTheWatchesOfOverride() throws Exception {
        Node n1 = eventDriven("1");
        Node n2 = eventDriven("2");
        List<FileWatch.Event> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        Path file = n2.file("renamed.conf").toAbsolutePath().normalize();
        try (FileWatch watch = new FileWatch("test-watch", seen::addAll)) {
            watch.watch(n2.paths.overrideDir());
            byte[] content = bytes("one rename\n");
            editorWrite(n1.file("renamed.conf"), content);
            await("renamed.conf on node 2", () -> n2.has("renamed.conf", content));
            await("its rename seen", () -> !seen.isEmpty());
        }
        assertEquals(List.of(new FileWatch.Event(FileWatch.Kind.MOVED_TO, file, false)), seen);
    }

    @Test
    void aNodeWhoseVarIsOnAnotherFileSystemWritesBesideTheFile() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)),
                "needs /dev/shm on another file system than " + tmp);
        Path var = Files.createTempDirectory(shm, "mcp-var");
        resources.add(() -> { // closed after the nodes
            try (Stream<Path> all = Files.walk(var)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        });
        Files.createDirectories(tmp.resolve("node2"));
        Files.createSymbolicLink(tmp.resolve("node2").resolve("var"), var);
        Node n1 = eventDriven("1");
        Node n2 = eventDriven("2");
        for (String text : List.of("across file systems\n", "and again, beside the file at once\n")) {
            byte[] content = bytes(text);
            editorWrite(n1.file("far.conf"), content);
            await("far.conf on node 2: " + text, () -> n2.has("far.conf", content));
            assertEquals(List.of(n2.file("far.conf")), listTree(n2.paths.overrideDir()), "no temporary file left");
            assertFalse(Files.exists(var.resolve("override-sync.tmp")));
        }
    }

    @Test
    void aFileWrittenFromTheClusterAndItsDirectoryAreDurableBeforeTheMlistRecordsIt() throws Exception {
        Node n1 = eventDriven("1");
        Node n2 = resources.add(new Node("2"));
        n2.periodicMs = 3_600_000;
        List<String> made = new java.util.concurrent.CopyOnWriteArrayList<>();
        n2.durable = p -> {
            made.add(p + (mlistRecords(n2, "durable.conf") ? " (the mlist already records it)" : ""));
            OverrideSync.fsync(p);
        };
        n2.start();
        byte[] content = bytes("durable\n");
        editorWrite(n1.file("durable.conf"), content);
        await("var/mlist.xml on node 2 records durable.conf", () -> mlistRecords(n2, "durable.conf"));
        Path file = n2.file("durable.conf").toAbsolutePath().normalize();
        assertEquals(List.of(file.toString(), file.getParent().toString()), made);
    }

    @Test
    void aFileReplacedFromTheClusterIsFreedByTheFlushWhichMakesTheNextTemporaryFileAhead() throws Exception {
        Node n1 = eventDriven("1");
        Node n2 = resources.add(new Node("2"));
        n2.periodicMs = 3_600_000;
        Path file = n2.file("freed.conf").toAbsolutePath().normalize();
        Path ahead = n2.paths.varDir().resolve("override-sync.tmp");
        List<Boolean> replacedOpenAtWrite = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Boolean> replacedOpenAtFlush = new java.util.concurrent.CopyOnWriteArrayList<>();
        n2.writeListener = (f, written, md5) -> replacedOpenAtWrite.add(openButDeleted(file));
        n2.durable = p -> {
            replacedOpenAtFlush.add(openButDeleted(file));
            OverrideSync.fsync(p);
        };
        n2.start();

        editorWrite(n1.file("freed.conf"), bytes("one\n"));
        await("freed.conf on node 2", () -> n2.has("freed.conf", bytes("one\n")));
        await("the next temporary file made ahead, its block reserved", () -> ahead.toFile().length() == 4096);
        editorWrite(n1.file("freed.conf"), bytes("two\n"));
        await("freed.conf replaced on node 2", () -> n2.has("freed.conf", bytes("two\n")));
        await("the second flush", () -> replacedOpenAtFlush.size() == 4); // the file and its directory, twice

        assertEquals(List.of(false, true), replacedOpenAtWrite, "nothing replaced by the first write, then held");
        assertEquals(List.of(false, false, false, false), replacedOpenAtFlush, "freed by the flush, before its fsyncs");
    }

    /** Whether this JVM holds a descriptor of {@code file} as it was before something replaced or deleted it. */
    private static boolean openButDeleted(Path file) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(file + " (deleted)");
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean mlistRecords(Node n, String rel) {
        try {
            return Files.readString(n.paths.mlist()).contains("\"" + rel + "\"");
        } catch (IOException notYet) {
            return false;
        }
    }

    private static List<Path> listTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void nestedFilesAndEditorWritesPropagate() throws Exception {
        Node n1 = eventDriven("1");
        Node n2 = eventDriven("2");
        Node n3 = eventDriven("3");
        byte[] first = bytes("<service name=\"x\" enable=\"1\"/>\n");
        write(n1.file("services.d/x.xml"), first);
        for (Node n : List.of(n2, n3)) {
            await("services.d/x.xml on node " + n.id, () -> n.has("services.d/x.xml", first));
        }
        byte[] second = bytes("<service name=\"x\" enable=\"0\"/>\n");
        editorWrite(n2.file("services.d/x.xml"), second);
        for (Node n : List.of(n1, n3)) {
            await("edited x.xml on node " + n.id, () -> n.has("services.d/x.xml", second));
        }
        // A directory created after start is watched too.
        byte[] deep = bytes("deep");
        write(n3.file("a/b/c.txt"), deep);
        for (Node n : List.of(n1, n2)) {
            await("a/b/c.txt on node " + n.id, () -> n.has("a/b/c.txt", deep));
        }
        byte[] deeper = bytes("changed in a directory made after start");
        write(n3.file("a/b/c.txt"), deeper);
        for (Node n : List.of(n1, n2)) {
            await("changed a/b/c.txt on node " + n.id, () -> n.has("a/b/c.txt", deeper));
        }
        // The temporary files of editors are never published.
        assertFalse(Files.exists(n1.file("services.d/.x.xml.swp")));
        assertEquals(List.of("a%2Fb%2Fc%2Etxt", "services%2Ed%2Fx%2Exml"), n1.cluster.client().getChildren()
                .forPath(n1.cluster.layout().overridesPath()).stream().sorted().toList());
    }

    @Test
    void deletionPropagates() throws Exception {
        Node n1 = eventDriven("1");
        Node n2 = eventDriven("2");
        Node n3 = eventDriven("3");
        byte[] content = bytes("gone soon");
        write(n1.file("services.d/y.xml"), content);
        await("y.xml on node 3", () -> n3.has("services.d/y.xml", content));
        Files.delete(n3.file("services.d/y.xml"));
        for (Node n : List.of(n1, n2)) {
            await("y.xml deleted on node " + n.id, () -> !Files.exists(n.file("services.d/y.xml")));
        }
        await("znode deleted", () -> {
            try {
                return stat(n1, "services.d/y.xml") == null;
            } catch (Exception e) {
                return false;
            }
        });
        await("mlist forgets it", () -> {
            try {
                return n1.sync.entry("services.d/y.xml") == null && n2.sync.entry("services.d/y.xml") == null;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void noEcho() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        byte[] content = bytes("once");
        Path f = n1.file("echo.txt");
        write(f, content);
        // An old mtime: if node 1 rewrote its file, the mtime would move.
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(f, old);
        Object inode = Files.readAttributes(f, BasicFileAttributes.class).fileKey();
        for (Node n : List.of(n2, n3)) {
            await("echo.txt on node " + n.id, () -> n.has("echo.txt", content));
        }
        // Let every node pass over its tree at least once more, through the periodic pass too.
        long until = System.nanoTime() + (OverrideSync.PERIODIC_MS + 1000) * 1_000_000;
        await("a periodic pass", () -> System.nanoTime() > until);
        for (Node n : List.of(n1, n2, n3)) {
            n.sync.awaitQuiet(WAIT);
        }
        assertEquals(0, stat(n1, "echo.txt").getVersion(), "one write, one version");
        assertEquals(old, Files.getLastModifiedTime(f));
        assertEquals(inode, Files.readAttributes(f, BasicFileAttributes.class).fileKey());
        assertArrayEquals(content, n1.read("echo.txt"));
    }

    @Test
    void aNodeReadsTheOthersChangesButNotItsOwnPublicationBack() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        long before1 = n1.sync.znodeReads();
        long before2 = n2.sync.znodeReads();
        byte[] first = bytes("from node 1");
        write(n1.file("own.txt"), first);
        await("own.txt from node 1 on node 2", () -> n2.has("own.txt", first));
        byte[] second = bytes("from node 2");
        write(n2.file("own.txt"), second);
        // Node 1's events come in order: once it has node 2's change, it has seen its own event too.
        await("own.txt from node 2 on node 1", () -> n1.has("own.txt", second));
        n1.sync.awaitQuiet(WAIT);
        n2.sync.awaitQuiet(WAIT);
        assertEquals(before1 + 1, n1.sync.znodeReads(), "node 1 read node 2's change only");
        assertEquals(before2 + 1, n2.sync.znodeReads(), "node 2 read node 1's change only");
    }

    @Test
    void aNodeThatWasAwayCatchesUpAndPublishesItsOfflineEdits() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        byte[] keep = bytes("keep");
        byte[] drop = bytes("drop");
        write(n1.file("keep.txt"), keep);
        write(n1.file("drop.txt"), drop);
        await("files on node 3", () -> n3.has("keep.txt", keep) && n3.has("drop.txt", drop));

        n3.close();
        byte[] changed = bytes("changed while 3 was away");
        write(n1.file("keep.txt"), changed);
        Files.delete(n2.file("drop.txt"));
        byte[] offline = bytes("written on 3 while away");
        write(n3.file("services.d/offline.xml"), offline);
        await("node 1 sees the deletion", () -> !Files.exists(n1.file("drop.txt")));
        await("node 2 sees the change", () -> n2.has("keep.txt", changed));

        Node again = resources.add(new Node("3")).start();
        assertTrue(again.has("keep.txt", changed), "in sync means caught up");
        assertFalse(Files.exists(again.file("drop.txt")));
        for (Node n : List.of(n1, n2)) {
            await("offline edit on node " + n.id, () -> n.has("services.d/offline.xml", offline));
        }
        assertTrue(again.conflicts().isEmpty(), "no conflict: " + again.conflicts());
    }

    /** Writes {@code content} on {@code from} and waits until {@code others} have it too. */
    private static void writeEverywhere(Node from, String file, byte[] content, Node... others) throws Exception {
        write(from.file(file), content);
        for (Node n : others) {
            await(file + " on node " + n.id, () -> n.has(file, content));
        }
    }

    @Test
    void concurrentEditsConvergeAndTheLoserIsKeptAside() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        writeEverywhere(n1, "shared.xml", bytes("base"), n2, n3);
        byte[] a = bytes("edit from node 1");
        byte[] b = bytes("edit from node 2");
        // Node 2 edits while away, so both edits surely race for the same version.
        n2.sync.close();
        write(n2.file("shared.xml"), b);
        write(n1.file("shared.xml"), a);
        await("node 3 has node 1's edit", () -> n3.has("shared.xml", a));
        n2.sync = resources.add(new OverrideSync(n2.paths, n2.cluster, n2.events, Clock.systemUTC()));
        n2.sync.start();
        await("node 2 in sync", n2.sync::inSync);
        for (Node n : List.of(n1, n2, n3)) {
            assertArrayEquals(a, n.read("shared.xml"), "node " + n.id);
        }
        List<Path> aside = n2.conflicts();
        assertEquals(1, aside.size(), aside.toString());
        assertArrayEquals(b, Files.readAllBytes(aside.get(0)));
        assertTrue(aside.get(0).getFileName().toString().startsWith("shared%2Exml.2."), aside.toString());
        List<Event> conflicts = n2.events("conflict");
        assertEquals(1, conflicts.size(), conflicts.toString());
        assertEquals("warning", conflicts.get(0).level());
        assertTrue(conflicts.get(0).message().contains(aside.get(0).toString()), conflicts.toString());
        assertTrue(n1.conflicts().isEmpty());
    }

    @Test
    void liveConcurrentEditsConvergeWithNothingLost() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        writeEverywhere(n1, "race.xml", bytes("base"), n2, n3);
        byte[] a = bytes("live edit from node 1");
        byte[] b = bytes("live edit from node 2");
        // Both sync threads held while both files change: when released, both publish against
        // version 0, and one of them must lose.
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        n1.sync.holdUntil(release);
        n2.sync.holdUntil(release);
        write(n1.file("race.xml"), a);
        write(n2.file("race.xml"), b);
        release.countDown();
        await("one content everywhere", () -> {
            byte[] c1 = n1.read("race.xml");
            return (Arrays.equals(c1, a) || Arrays.equals(c1, b)) && Arrays.equals(c1, n2.read("race.xml"))
                    && Arrays.equals(c1, n3.read("race.xml"));
        });
        for (Node n : List.of(n1, n2, n3)) {
            n.sync.awaitQuiet(WAIT);
        }
        byte[] winner = n1.read("race.xml");
        Node loser = Arrays.equals(winner, a) ? n2 : n1;
        Node other = loser == n1 ? n2 : n1;
        byte[] lost = loser == n1 ? a : b;
        assertEquals(1, stat(n1, "race.xml").getVersion(), "the winner's write only");
        List<Path> aside = loser.conflicts();
        assertEquals(1, aside.size(), aside.toString());
        assertArrayEquals(lost, Files.readAllBytes(aside.get(0)));
        assertTrue(other.conflicts().isEmpty(), other.conflicts().toString());
        List<Event> events = loser.events("conflict");
        assertEquals(1, events.size(), events.toString());
        assertTrue(events.get(0).message().contains(aside.get(0).toString()), events.toString());
        for (Node n : List.of(n1, n2, n3)) {
            assertArrayEquals(winner, n.read("race.xml"), "node " + n.id);
        }
    }

    @Test
    void anOversizedFileStaysLocalWithAnError() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        byte[] big = new byte[OverrideSync.MAX_BYTES + 1];
        Arrays.fill(big, (byte) 'x');
        write(n1.file("big.bin"), big);
        await("error event", () -> {
            try {
                return !n1.events("override").isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
        Event e = n1.events("override").get(0);
        assertEquals("alert", e.level());
        assertTrue(e.message().contains("big.bin") && e.message().contains(String.valueOf(OverrideSync.MAX_BYTES)),
                e.message());
        // A later small file still goes through, and the big one never did.
        byte[] small = bytes("small");
        write(n1.file("small.txt"), small);
        await("small.txt on node 2", () -> n2.has("small.txt", small));
        assertNull(stat(n1, "big.bin"));
        assertFalse(Files.exists(n2.file("big.bin")));
        assertArrayEquals(big, n1.read("big.bin"));
        assertEquals(1, n1.events("override").size(), "said once");
        // A name too long to be a znode is refused the same way, and blocks nothing else.
        String longName = "d".repeat(200) + "/" + "f".repeat(100); // a fine path, a name of 303 bytes once encoded
        write(n1.file(longName), bytes("long"));
        await("error event for the long name", () -> {
            try {
                return n1.events("override").size() == 2;
            } catch (IOException unreadable) {
                return false;
            }
        });
        assertTrue(n1.events("override").get(1).message().contains(longName), n1.events("override").toString());
        byte[] after = bytes("after");
        write(n1.file("after.txt"), after);
        await("after.txt on node 2", () -> n2.has("after.txt", after));
        assertFalse(Files.exists(n2.file(longName)));
    }

    @Test
    void hostileZnodeNamesAreRefused() throws Exception {
        Node n1 = node("1");
        String base = n1.cluster.layout().overridesPath();
        var client = n1.cluster.client();
        // ".." once decoded; "../../escape" once decoded; a hidden name; a non-canonical encoding.
        for (String name : List.of("%2E%2E", "%2E%2E%2F%2E%2E%2Fescape", "%2F%2E%2E%2Fetc", "a%2F%2Fb",
                "%2Ehidden", "x%00y", "evil%5Cname")) {
            client.create().creatingParentsIfNeeded().forPath(base + "/" + name, bytes("pwned"));
        }
        // A link inside override/ to a directory outside it is not written through.
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(n1.file("link"), outside);
        client.create().forPath(n1.cluster.layout().overrideFile("link/planted.txt"), bytes("pwned"));
        byte[] ok = bytes("fine");
        client.create().forPath(n1.cluster.layout().overrideFile("ok.txt"), ok);
        await("the valid one arrives", () -> n1.has("ok.txt", ok));
        n1.sync.awaitQuiet(WAIT);
        try (Stream<Path> all = Files.walk(tmp)) {
            List<Path> written = all.filter(Files::isRegularFile)
                    .filter(p -> !p.startsWith(n1.paths.varDir()))
                    .toList();
            assertEquals(List.of(n1.file("ok.txt")), written);
        }
    }

    @Test
    void encodingIsReversibleAndRefusesEscapes() {
        for (String rel : List.of("a.xml", "services.d/webd.xml", "a b/c+d%e.xml", "x..y")) {
            assertEquals(rel, ZkLayout.decodeOverride(ZkLayout.encodeOverride(rel)));
        }
        assertEquals("services%2Ed%2Fwebd%2Exml", ZkLayout.encodeOverride("services.d/webd.xml"));
        for (String bad : List.of("%2E%2E", "a%2F%2E%2E", "%2Fabs", "a%2F", "%2E", "a%00b", "a%2e")) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ZkLayout.decodeOverride(bad), bad);
        }
    }

    @Test
    void sessionExpiryLosesNoOverride() throws Exception {
        Node n1 = node("1");
        Node n2 = node("2");
        Node n3 = node("3");
        byte[] before = bytes("before expiry");
        write(n1.file("services.d/e.xml"), before);
        await("e.xml on node 2", () -> n2.has("services.d/e.xml", before));
        List<Boolean> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        n2.sync.addListener(seen::add);

        KillSession.kill(n2.cluster.client().getZookeeperClient().getZooKeeper());
        await("node 2 out of sync", () -> seen.contains(false));
        await("node 2 in sync again", () -> seen.size() >= 2 && seen.get(seen.size() - 1) && n2.sync.inSync());
        for (Node n : List.of(n1, n2, n3)) {
            assertTrue(n.has("services.d/e.xml", before), "node " + n.id);
        }
        byte[] after = bytes("after expiry");
        write(n2.file("services.d/e.xml"), after);
        for (Node n : List.of(n1, n3)) {
            await("the change after expiry on node " + n.id, () -> n.has("services.d/e.xml", after));
        }
        byte[] fromNode3 = bytes("from node 3 after node 2's expiry");
        write(n3.file("services.d/e.xml"), fromNode3);
        await("node 3's change on node 2, watching again in its new session",
                () -> n2.has("services.d/e.xml", fromNode3));
    }

    @Test
    void outOfSyncWhileTheServerIsDown() throws Exception {
        Node n1 = node("1");
        n1.sync.close();
        n1.sync.close(); // idempotent
        assertFalse(n1.sync.inSync());
        Node n2 = node("2");
        server.stop();
        await("out of sync", () -> !n2.sync.inSync());
        byte[] meanwhile = bytes("written while ZooKeeper was down");
        write(n2.file("down.txt"), meanwhile);
        server.restart();
        await("in sync again", n2.sync::inSync);
        await("published after the outage", () -> {
            try {
                Stat s = stat(n2, "down.txt");
                return s != null;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
