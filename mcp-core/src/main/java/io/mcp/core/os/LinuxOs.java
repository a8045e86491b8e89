package io.mcp.core.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import jnr.constants.platform.Errno;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** {@link Os} on Linux: {@code /proc} for lookups, JNR-POSIX for signals. */
final class LinuxOs implements Os {
    static final LinuxOs INSTANCE = new LinuxOs();

    /**
     * Loaded on the first signal sent, not before: JNR costs about 20 MB of RSS and 200 ms of
     * class loading, which a process that only reads {@code /proc} (mcpctl) never needs.
     */
    private static final class Native {
        static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    }

    private LinuxOs() {
    }

    @Override
    public Optional<ProcessInfo> inspect(long pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        Path dir = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            // comm is in parentheses and may itself hold spaces and parentheses: split at the last ')'.
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String comm = stat.substring(open + 1, close);
            String[] f = stat.substring(close + 2).split(" ");
            // f[0] is field 3 (state); field N is f[N - 3].
            char state = f[0].charAt(0);
            long pgid = Long.parseLong(f[2]);
            long sid = Long.parseLong(f[3]);
            long start = Long.parseLong(f[19]);
            byte[] cmdline = Files.readAllBytes(dir.resolve("cmdline"));
            int end = 0;
            while (end < cmdline.length && cmdline[end] != 0) {
                end++;
            }
            String argv0 = new String(cmdline, 0, end, StandardCharsets.UTF_8);
            return Optional.of(new ProcessInfo(pid, state, start, pgid, sid, comm, argv0));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            // The process vanished between reads, or /proc is not what we expect: no such process.
            return Optional.empty();
        }
    }

    @Override
    public boolean kill(long pid, int signal) {
        if (pid <= 0) {
            throw new IllegalArgumentException("refusing to signal pid " + pid);
        }
        return signal(pid, signal);
    }

    @Override
    public boolean killGroup(long pgid, int signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        return signal(-pgid, signal);
    }

    private boolean signal(long target, int signal) {
        POSIX posix = Native.POSIX;
        if (posix.kill(target, signal) == 0) {
            return true;
        }
        int errno = posix.errno();
        if (errno == Errno.ESRCH.intValue()) {
            return false;
        }
        throw new IllegalStateException("kill(" + target + ", " + signal + ") failed: "
                + Errno.valueOf(errno).description());
    }

    @Override
    public long pid() {
        return ProcessHandle.current().pid();
    }
}
