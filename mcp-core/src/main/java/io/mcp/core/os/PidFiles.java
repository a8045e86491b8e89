package io.mcp.core.os;

import io.mcp.core.paths.Directories;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/** Reading and writing PID files. Writes are atomic: temporary file, then rename. */
public final class PidFiles {
    private PidFiles() {
    }

    /** The PID the file names, if it exists and holds a positive number on its first line. */
    public static OptionalLong read(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            int nl = text.indexOf('\n');
            long pid = Long.parseLong(nl < 0 ? text : text.substring(0, nl).trim());
            return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    public static void write(Path file, long pid) throws IOException {
        Directories.ensure(file.getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The live process a PID file names, if any. */
    public static Optional<ProcessInfo> liveProcess(Os os, Path file) {
        OptionalLong pid = read(file);
        return pid.isPresent() ? os.inspect(pid.getAsLong()).filter(ProcessInfo::alive) : Optional.empty();
    }
}
