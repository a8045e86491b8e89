package io.mcp.forker;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * {@link Spawner} on Linux with glibc 2.34 or later: {@code posix_spawn(3)} with
 * {@code POSIX_SPAWN_SETSID}, bound directly through jnr-ffi.
 *
 * <p>Why not jnr-posix's {@code posix_spawnp}: its signal-mask and signal-default attributes throw
 * "not yet supported", and it returns -1 without the error number posix_spawn reports. Why not
 * {@code ProcessBuilder}: it costs about twice as long here, cannot start a new session, and its
 * reaper would compete with ours.
 */
final class PosixSpawner implements Spawner {
    /** The part of glibc this class calls. */
    public interface LibC {
        int posix_spawn(@Out int[] pid, @In String path, Pointer fileActions, Pointer attr, Pointer argv,
                Pointer envp);

        int posix_spawnattr_init(Pointer attr);

        int posix_spawnattr_setflags(Pointer attr, short flags);

        int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

        int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawn_file_actions_addopen(Pointer actions, int fd, @In String path, int flags, int mode);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

        int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int lowFd);

        int posix_spawn_file_actions_addchdir_np(Pointer actions, @In String path);

        int sigemptyset(Pointer sigset);

        @SaveError
        int open(@In String path, int flags, int mode);

        int close(int fd);
    }

    // glibc's flag values (spawn.h).
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    // Room for glibc's opaque types (336, 80 and 128 bytes on x86_64 and arm64), with margin.
    private static final int ATTR_BYTES = 1024;
    private static final int FILE_ACTIONS_BYTES = 256;
    private static final int SIGSET_BYTES = 256;
    private static final int LOG_MODE = 0644;
    /** More than a forker sees in practice: a few log descriptors (spawns at once) times the working directories. */
    private static final int KEPT_SETUPS = 64;

    private final LibC libc;
    private final Runtime runtime;
    private final Reaper reaper;
    /** The same for every child and only read by posix_spawn, so built once and shared by all threads. */
    private final Pointer attr;
    private final boolean canChdir;
    /**
     * File actions kept for good, by the log's descriptor and the working directory: the log is
     * opened, spawned with and closed, so the next spawn's log gets the same descriptor, and
     * building the actions took six calls into glibc, each as costly as the spawn's own.
     * posix_spawn only reads them, so threads share them.
     */
    private final Map<Setup, Pointer> setups = new ConcurrentHashMap<>();
    /** The last environment laid out for a child, kept: most requests pass the same one. */
    private volatile NativeStrings lastEnv;

    private record Setup(int logFd, Path workdir) {
    }

    /** {@code values} as a NULL-terminated array of C strings in {@code memory}, which holds both. */
    private record NativeStrings(List<String> values, Pointer memory) {
    }

    PosixSpawner(Reaper reaper) {
        this.libc = LibraryLoader.create(LibC.class).load("c");
        this.runtime = Runtime.getRuntime(libc);
        this.reaper = reaper;
        this.attr = Memory.allocateDirect(runtime, ATTR_BYTES, true);
        Pointer noSignals = Memory.allocateDirect(runtime, SIGSET_BYTES, true);
        Pointer allSignals = Memory.allocateDirect(runtime, SIGSET_BYTES, true);
        libc.sigemptyset(noSignals);
        // Every bit set rather than sigfillset(), which leaves out glibc's two internal signals (32
        // and 33): posix_spawn would then leave those ignored in the child, unlike a fork and exec.
        allSignals.setMemory(0, SIGSET_BYTES, (byte) 0xff);
        // A child would otherwise inherit the spawning JVM thread's blocked signals (HotSpot blocks
        // SIGQUIT in Java threads) and any signal the JVM was started with ignored (SIGINT and
        // SIGQUIT under a non-interactive shell's '&'): a service must start with a clean slate.
        // The new session keeps it out of the terminal's process group and lets it outlive us.
        check(libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
        check(libc.posix_spawnattr_setflags(attr,
                (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "setflags");
        check(libc.posix_spawnattr_setsigmask(attr, noSignals), "setsigmask");
        check(libc.posix_spawnattr_setsigdefault(attr, allSignals), "setsigdefault");
        this.canChdir = probeChdir();
    }

    private static void check(int error, String call) {
        if (error != 0) {
            throw new IllegalStateException(call + " failed with error " + error);
        }
    }

    @Override
    public boolean changesDirectory() {
        return canChdir;
    }

    /** glibc 2.29 or later has posix_spawn_file_actions_addchdir_np; an older one leaves the cd to sh. */
    private boolean probeChdir() {
        Pointer actions = Memory.allocateDirect(runtime, FILE_ACTIONS_BYTES, true);
        try {
            check(libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try {
                return libc.posix_spawn_file_actions_addchdir_np(actions, "/") == 0;
            } finally {
                libc.posix_spawn_file_actions_destroy(actions);
            }
        } catch (LinkageError e) {
            return false;
        }
    }

    @Override
    public Child spawn(String program, List<String> argv, List<String> env, Path workdir, Path log)
            throws SpawnException {
        if (workdir != null && !canChdir) {
            throw new IllegalArgumentException("this C library cannot change a spawned child's directory");
        }
        // Opened here rather than as a file action so that "cannot open the log" is told apart
        // from "cannot execute"; the descriptor reaches the child only as its stdout.
        int logFd = libc.open(log.toString(),
                OpenFlags.O_WRONLY.intValue() | OpenFlags.O_CREAT.intValue() | OpenFlags.O_APPEND.intValue(), LOG_MODE);
        if (logFd < 0) {
            throw SpawnException.cannotOpenLog(log, runtime.getLastError());
        }
        Setup setup = new Setup(logFd, workdir);
        Pointer actions = setups.get(setup);
        boolean kept = actions != null;
        try {
            if (actions == null) {
                actions = fileActions(program, logFd, workdir);
                kept = setups.size() < KEPT_SETUPS && setups.putIfAbsent(setup, actions) == null;
            }
            int[] pid = new int[1];
            int error = libc.posix_spawn(pid, program, actions, attr, layOut(argv).memory(), environment(env));
            if (error != 0) {
                throw SpawnException.spawnFailed(program, error);
            }
            return new Child(pid[0], reaper.register(pid[0]));
        } finally {
            if (actions != null && !kept) {
                libc.posix_spawn_file_actions_destroy(actions);
            }
            libc.close(logFd);
        }
    }

    /** What the child does before it executes: stdin from /dev/null, stdout and stderr to the log, into workdir. */
    private Pointer fileActions(String program, int logFd, Path workdir) throws SpawnException {
        Pointer actions = Memory.allocateDirect(runtime, FILE_ACTIONS_BYTES, true);
        check(libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        int error = addFileActions(actions, logFd);
        if (error == 0 && workdir != null) {
            error = libc.posix_spawn_file_actions_addchdir_np(actions, workdir.toString());
        }
        if (error != 0) {
            libc.posix_spawn_file_actions_destroy(actions);
            throw SpawnException.spawnFailed(program, error);
        }
        return actions;
    }

    private Pointer environment(List<String> env) {
        NativeStrings known = lastEnv;
        if (known == null || !known.values().equals(env)) {
            known = layOut(env);
            lastEnv = known;
        }
        return known.memory();
    }

    /**
     * One block of native memory: the pointers, then the strings they point to. jnr-ffi's own
     * conversion of a {@code String[]} allocates and encodes each string separately: with the
     * environment, a third of a spawn's CPU.
     */
    private NativeStrings layOut(List<String> values) {
        int n = values.size();
        byte[][] encoded = new byte[n][];
        long pointers = (n + 1L) * runtime.addressSize();
        long size = pointers;
        for (int i = 0; i < n; i++) {
            encoded[i] = values.get(i).getBytes(StandardCharsets.UTF_8);
            size += encoded[i].length + 1;
        }
        Pointer memory = Memory.allocateDirect(runtime, size, true);
        long at = pointers;
        for (int i = 0; i < n; i++) {
            memory.putAddress((long) i * runtime.addressSize(), memory.address() + at);
            memory.put(at, encoded[i], 0, encoded[i].length); // the zero after it is already there
            at += encoded[i].length + 1;
        }
        return new NativeStrings(values, memory);
    }

    /** Returns 0, or the error (ENOMEM) of the first action that could not be added. */
    private int addFileActions(Pointer actions, int logFd) {
        int error = libc.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", OpenFlags.O_RDONLY.intValue(), 0);
        if (error == 0) {
            error = libc.posix_spawn_file_actions_adddup2(actions, logFd, 1);
        }
        if (error == 0) {
            error = libc.posix_spawn_file_actions_adddup2(actions, 1, 2);
        }
        if (error == 0) {
            // The JDK opens most descriptors without O_CLOEXEC (jars, sockets, the lifeline pipe):
            // without this a service would hold them, the forker's socket among them, for its life.
            error = libc.posix_spawn_file_actions_addclosefrom_np(actions, 3);
        }
        return error;
    }
}
