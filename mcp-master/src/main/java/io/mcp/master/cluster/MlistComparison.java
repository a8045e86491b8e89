package io.mcp.master.cluster;

import io.mcp.core.control.MlistReport;
import io.mcp.core.digest.Md5;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Builds {@code mcpctl mlist}'s {@link MlistReport}: the local mlist with the state of each file on
 * disk, the master mlist, and their differences. Pure apart from reading {@code override/}.
 */
public final class MlistComparison {
    private MlistComparison() {
    }

    /**
     * @param overrideDir the node's {@code override/}
     * @param local the local mlist by path
     * @param master the master mlist by path, or null when it could not be read
     * @param masterError why it could not, when {@code master} is null
     */
    public static MlistReport report(String cluster, String node, Path overrideDir, Map<String, Mlist.Entry> local,
            Map<String, Mlist.Entry> master, String masterError) {
        Path root = overrideDir.toAbsolutePath().normalize();
        Map<String, String> disk = scan(root);
        List<MlistReport.Entry> localEntries = new ArrayList<>();
        for (Mlist.Entry e : new TreeMap<>(local).values()) {
            String md5 = disk.get(e.path);
            String state = md5 == null ? MlistReport.DISK_MISSING
                    : md5.equals(e.md5) ? MlistReport.DISK_SAME : MlistReport.DISK_MODIFIED;
            localEntries.add(new MlistReport.Entry(e.path, e.md5, e.timestamp, e.revision, e.cluster, null, state));
        }
        List<String> unpublished = disk.keySet().stream().filter(p -> !local.containsKey(p)).toList();
        if (master == null) {
            return new MlistReport(cluster, node, localEntries, unpublished, false, masterError, null, null, false);
        }
        List<MlistReport.Entry> masterEntries = new ArrayList<>();
        for (Mlist.Entry e : new TreeMap<>(master).values()) {
            masterEntries.add(new MlistReport.Entry(e.path, e.md5, e.timestamp, e.revision, e.cluster, e.node, null));
        }
        List<MlistReport.Difference> differences = differences(local, master);
        return new MlistReport(cluster, node, localEntries, unpublished, true, null, masterEntries, differences,
                differences.isEmpty());
    }

    static List<MlistReport.Difference> differences(Map<String, Mlist.Entry> local, Map<String, Mlist.Entry> master) {
        Set<String> paths = new TreeSet<>(local.keySet());
        paths.addAll(master.keySet());
        List<MlistReport.Difference> out = new ArrayList<>();
        for (String path : paths) {
            Mlist.Entry l = local.get(path);
            Mlist.Entry m = master.get(path);
            String kind;
            if (m == null) {
                kind = MlistReport.ONLY_LOCAL;
            } else if (l == null) {
                kind = MlistReport.ONLY_CLUSTER;
            } else if (!l.md5.equals(m.md5)) {
                kind = MlistReport.MD5;
            } else if (l.revision != m.revision) {
                kind = MlistReport.REVISION;
            } else {
                continue;
            }
            out.add(new MlistReport.Difference(path, kind, l == null ? null : l.md5, l == null ? null : l.revision,
                    m == null ? null : m.md5, m == null ? null : m.revision));
        }
        return out;
    }

    /** Every regular, non-hidden file under {@code override/} with its md5, as OverrideSync tracks them. */
    private static Map<String, String> scan(Path root) {
        Map<String, String> found = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.forEach(f -> {
                Path rel = root.relativize(f);
                if (rel.toString().isEmpty()) {
                    return;
                }
                for (Path segment : rel) {
                    if (segment.toString().startsWith(".")) {
                        return;
                    }
                }
                try {
                    if (Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                        found.put(rel.toString().replace(f.getFileSystem().getSeparator(), "/"), Md5.of(f));
                    }
                } catch (IOException gone) {
                    // deleted while we looked: it is simply not there
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            // a directory that vanished mid-walk: report what was seen
        }
        return found;
    }
}
