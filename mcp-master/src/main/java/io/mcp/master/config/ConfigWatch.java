package io.mcp.master.config;

import com.fasterxml.jackson.core.type.TypeReference;
import io.mcp.core.digest.Md5;
import io.mcp.core.event.EventLog;
import io.mcp.core.model.ActionList;
import io.mcp.core.model.ConfigSpec;
import io.mcp.core.model.FileDefinition;
import io.mcp.core.os.FileWatch;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.ForkerReply;
import io.mcp.core.proto.ForkerRequest;
import io.mcp.core.proto.Json;
import io.mcp.core.xml.FileDefinitions;
import io.mcp.core.xml.XmlException;
import io.mcp.master.forker.ForkerClient;
import io.mcp.master.supervise.Supervision;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The configuration files this node watches, from {@code files.d/*.xml} and from the services'
 * {@code <config>} elements, and their change actions. When a watched file's content changes
 * (edited here, or written by the override sync from another node), a {@code files.d} file's
 * {@code change} actionlist runs through the forker and a service's {@code on-change}
 * actionlist runs if the service is running.
 *
 * <p>Changes are told by content (md5), not by time stamps, so a write of the same bytes runs
 * nothing. The content each file had when its actions last ran is kept in
 * {@code var/config-state.json}: a file that changed while the master was down runs its actions
 * when the master comes back, while a file seen for the first time only sets the starting point.
 * A file renamed into place (editors, the override sync) is acted on at once; one written in
 * place waits until it has been quiet for a moment, so that actions never read it half written.
 *
 * <p>A file the override sync writes from the cluster is told directly ({@link #written}), with
 * its md5, so that its actions start without waiting for the watch or hashing it again. Actions
 * are sent to the forker before the state file is saved.
 *
 * <p>All state lives on the supervision loop; the watch thread only posts to it.
 */
public final class ConfigWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ConfigWatch.class.getName());
    private static final long QUIET_MS = 15;
    private static final long SAVE_DELAY_MS = 100;
    private static final String SOURCE = NodePaths.MASTER;

    /** Something that acts when a file changes. */
    private sealed interface Trigger {
    }

    /** {@code files.d/NAME.xml}. */
    private record FileTrigger(String name, FileDefinition def, ForkerClient.Prepared change) implements Trigger {
    }

    /** A service's {@code <config path= on-change=>}. */
    private record ServiceTrigger(String service, String listName) implements Trigger {
    }

    /** What a file looked like when last hashed, to skip hashing when nothing changed. */
    private record Stamp(Object key, long mtime, long size) {
        /** Written out: a record's own equals goes through method handles, which C1 alone runs slowly. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Stamp s && mtime == s.mtime && size == s.size && Objects.equals(key, s.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, mtime, size);
        }
    }

    /** A files.d definition file as last read: the good definition, or the last good one after an error. */
    private record Known(Stamp stamp, FileDefinition def, ForkerClient.Prepared change) {
    }

    /** One watched file. */
    private static final class Tracked {
        String md5;
        Stamp stamp;
        boolean busy;
        boolean again;
    }

    private final NodePaths paths;
    private final Supervision supervision;
    private final ForkerClient forker;
    private final EventLog events;
    private final ScheduledExecutorService loop;
    private final Duration actionTimeout;
    private final FileWatch watcher;

    // On the loop.
    private final Map<Path, Known> definitions = new HashMap<>();
    private final Map<Path, List<Trigger>> watched = new HashMap<>();
    private final Map<Path, Tracked> tracked = new HashMap<>();
    private final Map<String, String> acted; // file -> md5 when its actions last ran (or first seen)
    /** A propagated files.d file outside override/ -> its cluster copy, and back. */
    private final Map<Path, Path> copyOf = new HashMap<>();
    private final Map<Path, Path> originalOf = new HashMap<>();
    private ScheduledFuture<?> pendingSave;
    private volatile Set<String> localOnly = Set.of();

    // Shared with the watch thread.
    private final Set<Path> watchedDirs = ConcurrentHashMap.newKeySet();
    private volatile Set<Path> watchedFiles = Set.of();
    private final Map<Path, ScheduledFuture<?>> quieting = new ConcurrentHashMap<>();

    public ConfigWatch(NodePaths paths, Supervision supervision, ForkerClient forker, EventLog events,
            ScheduledExecutorService loop, Duration actionTimeout) throws IOException {
        this.paths = paths;
        this.supervision = supervision;
        this.forker = forker;
        this.events = events;
        this.loop = loop;
        this.actionTimeout = actionTimeout;
        this.acted = loadState();
        this.watcher = new FileWatch("config-watch", this::watchEvents);
    }

    /**
     * Any thread: {@code file} was just written with content {@code md5} and these attributes (by
     * the override sync, from the cluster). Its actions run as for any change, without hashing it.
     */
    public void written(Path file, BasicFileAttributes attributes, String md5) {
        Path f = file.toAbsolutePath().normalize();
        if (!watchedFiles.contains(f)) {
            return;
        }
        Stamp stamp = new Stamp(attributes.fileKey(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                attributes.size());
        try {
            loop.execute(() -> check(f, stamp, md5));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the master is stopping
        }
    }

    /**
     * Paths relative to {@code override/} (with {@code /}) that a {@code files.d} definition keeps
     * on this node only ({@code notify="0"}): the override sync leaves them alone. Any thread.
     */
    public boolean localOnly(String overrideRelative) {
        return localOnly.contains(overrideRelative);
    }

    /**
     * On the loop: reads {@code files.d/} again, collects the services' config files, watches
     * what is new and checks every watched file (a safety net for missed events).
     */
    public void scan() {
        scanDefinitions();
        Map<Path, List<Trigger>> now = new HashMap<>();
        Set<String> keepLocal = new java.util.HashSet<>();
        Path override = paths.overrideDir().toAbsolutePath().normalize();
        copyOf.clear();
        originalOf.clear();
        definitions.forEach((xml, known) -> {
            if (known.def != null) {
                Path file = target(known.def.path);
                now.computeIfAbsent(file, f -> new ArrayList<>()).add(new FileTrigger(baseName(xml), known.def, known.change));
                if (!known.def.propagates() && file.startsWith(override)) {
                    keepLocal.add(override.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/"));
                } else if (known.def.propagates() && !file.startsWith(override)) {
                    Path copy = paths.clusterCopiesDir().resolve(baseName(xml)).toAbsolutePath().normalize();
                    copyOf.put(file, copy);
                    originalOf.put(copy, file);
                    now.computeIfAbsent(copy, f -> new ArrayList<>());
                }
            }
        });
        if (!copyOf.isEmpty()) {
            try {
                Files.createDirectories(paths.clusterCopiesDir()); // watched from the start
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot create " + paths.clusterCopiesDir(), e);
            }
        }
        supervision.configs().forEach((service, configs) -> {
            for (ConfigSpec c : configs) {
                now.computeIfAbsent(target(c.path), f -> new ArrayList<>()).add(new ServiceTrigger(service, c.onChange));
            }
        });
        localOnly = Set.copyOf(keepLocal);
        watched.clear();
        watched.putAll(now);
        watchedFiles = Set.copyOf(now.keySet());
        tracked.keySet().retainAll(now.keySet());
        if (acted.keySet().retainAll(now.keySet().stream().map(Path::toString).toList())) {
            saveState();
        }
        updateDirectoryWatches();
        // The cluster's copies first: where one differs from its file, the cluster's content wins.
        originalOf.keySet().forEach(this::check);
        for (Path file : now.keySet()) {
            check(file);
        }
    }

    private Path target(String configured) {
        return paths.resolveConfigured(configured.trim()).toAbsolutePath().normalize();
    }

    private void scanDefinitions() {
        Map<Path, Stamp> present = new HashMap<>();
        Path dir = paths.filesDir();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.xml")) {
                for (Path f : ds) {
                    Stamp s = stamp(f);
                    if (!f.getFileName().toString().startsWith(".") && s != null) {
                        present.put(f, s);
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot list " + dir, e);
            }
        }
        definitions.keySet().retainAll(present.keySet());
        present.forEach((f, stamp) -> {
            Known before = definitions.get(f);
            if (before != null && stamp.equals(before.stamp)) {
                return;
            }
            try {
                FileDefinition def = FileDefinitions.load(f, paths);
                definitions.put(f, new Known(stamp, def, changeRequest(baseName(f), def)));
            } catch (XmlException e) {
                FileDefinition lastGood = before == null ? null : before.def;
                definitions.put(f, new Known(stamp, lastGood, before == null ? null : before.change));
                events.alert(SOURCE, "invalid", e.getMessage()
                        + (lastGood != null ? " (still watching " + lastGood.path + " as before)" : ""));
            }
        });
    }

    /** On the loop: compares one file with what its actions last saw, and runs them if it changed. */
    private void check(Path file) {
        check(file, null, null);
    }

    /**
     * As {@link #check(Path)}; when the file's attributes are still {@code knownStamp}, its content
     * is {@code knownMd5} (null: hash it).
     */
    private void check(Path file, Stamp knownStamp, String knownMd5) {
        List<Trigger> triggers = watched.get(file);
        if (triggers == null) {
            return;
        }
        Tracked t = tracked.computeIfAbsent(file, f -> new Tracked());
        Stamp stamp = stamp(file);
        if (t.stamp != null && Objects.equals(stamp, t.stamp)) {
            return;
        }
        String md5 = stamp == null ? null
                : knownMd5 != null && stamp.equals(knownStamp) ? knownMd5 : md5(file);
        t.stamp = stamp;
        String before = acted.put(file.toString(), md5 == null ? "" : md5);
        if (Objects.equals(before, md5 == null ? "" : md5)) {
            return;
        }
        if (before != null) { // else first sight: the starting point, not a change
            if (t.busy) {
                t.again = true; // the running actions saw older content: run once more after them
            } else {
                run(file, t); // first: the actions start before anything is written here
            }
        }
        copyAcross(file, md5);
        saveStateSoon();
    }

    /**
     * On the loop, for a file outside {@code override/} that the cluster shares: a new content of
     * the file goes to its cluster copy (which the override sync publishes), a new content of the
     * copy (from another node) goes to the file, whose watch then runs its change actions. The
     * copies are checked first ({@link #scan()}), so the cluster's content wins over a file seen
     * for the first time. Deletions do not travel: the other side stays.
     */
    private void copyAcross(Path file, String md5) {
        if (md5 == null) {
            return;
        }
        Path copy = copyOf.get(file);
        if (copy != null && !md5.equals(md5(copy)) && replace(file, copy)) {
            // What this node wrote there is not news from the cluster when the copy's watch sees it
            // (by then the file may have changed again: that must not be overwritten).
            acted.put(copy.toString(), md5);
        }
        Path original = originalOf.get(file);
        if (original != null) {
            String was = md5(original);
            if (!md5.equals(was)) {
                // Not a first sight when it is next checked: its change actions must run.
                acted.putIfAbsent(original.toString(), was == null ? "" : was);
                replace(file, original);
            }
        }
    }

    /** {@code to} gets {@code from}'s bytes atomically (temporary file, fsync, rename), keeping its mode. */
    private boolean replace(Path from, Path to) {
        Path tmp = to.resolveSibling("." + to.getFileName() + ".mcp-tmp");
        try {
            byte[] content = Files.readAllBytes(from);
            Set<PosixFilePermission> mode = Files.exists(to) ? Files.getPosixFilePermissions(to) : null;
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(ByteBuffer.wrap(content));
                out.force(true);
            }
            if (mode != null) {
                Files.setPosixFilePermissions(tmp, mode);
            }
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.info(from + " copied to " + to);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            events.warning(SOURCE, "config", "cannot copy " + from + " to " + to + ": " + e);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // left for the next attempt to replace
            }
            return false;
        }
    }

    private void run(Path file, Tracked t) {
        t.busy = true;
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (Trigger trigger : watched.getOrDefault(file, List.of())) {
            if (trigger instanceof FileTrigger f) {
                runs.add(runChange(file, f));
            } else if (trigger instanceof ServiceTrigger s) {
                runs.add(supervision.configChanged(s.service, file, s.listName));
            }
        }
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).whenComplete((ok, err) -> loop.execute(() -> {
            t.busy = false;
            if (t.again && watched.containsKey(file)) {
                t.again = false;
                run(file, t);
            }
        }));
    }

    private CompletableFuture<Void> runChange(Path file, FileTrigger trigger) {
        CompletableFuture<ForkerReply> sent = forker.send(trigger.change);
        LOG.info("files.d/" + trigger.name + ": " + file + " changed; running its change actions");
        return sent.thenAccept(reply -> {
            if (reply.ok()) {
                events.info("files.d/" + trigger.name, "changed", file + " changed; change actions ran");
            } else {
                events.warning("files.d/" + trigger.name, "changed", file + " changed; change actions failed: "
                        + reply.summary() + reply.lastOutputLine());
            }
        });
    }


    // ---- watching directories ----

    private void updateDirectoryWatches() {
        Set<Path> dirs = new java.util.HashSet<>();
        for (Path f : watchedFiles) {
            if (f.getParent() != null && Files.isDirectory(f.getParent())) {
                dirs.add(f.getParent());
            }
        }
        watchedDirs.removeIf(d -> {
            if (!dirs.contains(d)) {
                watcher.unwatch(d);
                return true;
            }
            return false;
        });
        for (Path dir : dirs) {
            // Again even if watched: a directory deleted and created again needs a new watch.
            try {
                watcher.watch(dir);
                watchedDirs.add(dir);
            } catch (IOException e) {
                LOG.log(Level.FINE, "cannot watch " + dir + "; the periodic pass covers it", e);
            }
        }
    }

    /**
     * On the watch's thread. A file renamed into place or deleted is checked at once; one written
     * in place once it has been quiet for {@link #QUIET_MS}; after an overflow, every file.
     */
    private void watchEvents(List<FileWatch.Event> batch) {
        for (FileWatch.Event event : batch) {
            if (event.kind() == FileWatch.Kind.OVERFLOW) {
                for (Path file : watchedFiles) {
                    fileEvent(file, false);
                }
                continue;
            }
            Path file = event.path();
            if (watchedFiles.contains(file)) {
                fileEvent(file, switch (event.kind()) {
                    case MOVED_TO, MOVED_FROM, DELETE -> false;
                    case CLOSE_WRITE, CREATE, MODIFY, ATTRIB, OVERFLOW -> true;
                });
            }
        }
    }

    private void fileEvent(Path file, boolean writtenInPlace) {
        try {
            ScheduledFuture<?> before = quieting.remove(file);
            if (before != null) {
                before.cancel(false);
            }
            if (writtenInPlace) {
                quieting.put(file, loop.schedule(() -> {
                    quieting.remove(file);
                    check(file);
                }, QUIET_MS, TimeUnit.MILLISECONDS));
            } else {
                loop.execute(() -> check(file));
            }
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the master is stopping
        }
    }

    // ---- files ----

    private static Stamp stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.isRegularFile() ? new Stamp(a.fileKey(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size())
                    : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String md5(Path file) {
        try {
            return Md5.of(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot read " + file, e);
            return null;
        }
    }

    private Map<String, String> loadState() {
        Path file = paths.configState();
        try {
            return new TreeMap<>(Json.MAPPER.readValue(file.toFile(), new TypeReference<Map<String, String>>() { }));
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return new TreeMap<>();
        } catch (IOException e) {
            LOG.warning("cannot read " + file + " (" + e.getMessage() + "); every watched file starts afresh");
            return new TreeMap<>();
        }
    }

    /**
     * Saves the state {@link #SAVE_DELAY_MS} from now, with whatever else changed meanwhile: not
     * while the change actions just sent start. {@link #close()} saves what is still to come; a
     * master killed meanwhile runs those actions once more when it comes back, never one fewer.
     */
    private void saveStateSoon() {
        if (pendingSave != null && !pendingSave.isDone()) {
            return;
        }
        try {
            pendingSave = loop.schedule(this::saveState, SAVE_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            saveState();
        }
    }

    private void saveState() {
        Path file = paths.configState();
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Json.MAPPER.writeValue(tmp.toFile(), acted);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write " + file, e);
        }
    }

    /** The request that runs {@code def}'s change actions: the same every time, so written once. */
    private ForkerClient.Prepared changeRequest(String name, FileDefinition def) {
        List<String> commands = def.changeActions().map(ActionList::commands).orElse(List.of());
        return ForkerClient.prepare(new ForkerRequest(ForkerRequest.RUN, "files.d/" + name, commands, null, null,
                def.user, def.group, paths.root().toString(), actionTimeout.toMillis(), null,
                paths.fileActionsLog(name).toString()));
    }

    private static String baseName(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".xml") ? n.substring(0, n.length() - 4) : n;
    }

    /** Stops watching, and saves the state now if a save is still to come. */
    @Override
    public void close() {
        watcher.close();
        try {
            loop.submit(() -> {
                if (pendingSave != null && pendingSave.cancel(false)) {
                    saveState();
                }
            }).get(2, TimeUnit.SECONDS);
        } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
            LOG.log(Level.FINE, "the state may not have been saved at close", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
