package io.mcp.core.os;

import java.io.IOException;
import java.nio.file.Path;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * Disk blocks reserved for a file ahead of its writing, with fallocate(2), bound through jnr-ffi:
 * the JDK has no call for it. A write into reserved blocks has nothing left to allocate, so
 * ext4 does not start writing a file back when it is renamed over another (it does for a file
 * whose blocks are still to be allocated, lest a crash leave it empty).
 */
public final class FileSpace {
    /** The C library calls used. */
    public interface LibC {
        @SaveError
        int open(String path, int flags, int mode);

        @SaveError
        int fallocate(int fd, int mode, long offset, long length);

        int close(int fd);
    }

    private static final int O_WRONLY = 01;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;

    /** Loaded on first use: a process that never reserves space does not load jnr-ffi for it. */
    private static final class Native {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private FileSpace() {
    }

    /**
     * Creates {@code file} (mode 0644 before the umask) if it is not there, and reserves its first
     * {@code bytes} on disk; the file is then at least that long, zeros where nothing was written.
     *
     * @throws IOException when the file cannot be opened or its file system cannot reserve space
     */
    public static void reserve(Path file, long bytes) throws IOException {
        LibC libc = Native.LIBC;
        int fd = libc.open(file.toString(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            throw new IOException("cannot open " + file + ": " + errno());
        }
        try {
            if (libc.fallocate(fd, 0, 0, bytes) != 0) {
                throw new IOException("cannot reserve " + bytes + " bytes for " + file + ": " + errno());
            }
        } finally {
            libc.close(fd);
        }
    }

    private static String errno() {
        return Errno.valueOf(Runtime.getSystemRuntime().getLastError()).description();
    }
}
