package io.mcp.forker;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls the forker makes besides {@code posix_spawn}: its own ids, the user and
 * group databases, {@code waitpid} and {@code kill} (on the way to a respawn). A binding of just
 * these through jnr-ffi: jnr-posix's full POSIX binding costs a third of a second of class
 * generation at every start of the forker.
 */
final class ForkerLibc {
    /** The part of glibc bound here. */
    public interface LibC {
        int geteuid();

        int getegid();

        Pointer getpwuid(int uid);

        Pointer getpwnam(@In String name);

        Pointer getgrgid(int gid);

        @SaveError
        int waitpid(int pid, @Out int[] status, int options);

        int kill(int pid, int signal);
    }

    /** A user's entry: name and primary group. */
    record Passwd(String name, int gid) {
    }

    // struct passwd and struct group on Linux (x86_64 and arm64 alike): the name first, then
    // the password pointer, then uid and gid as 32-bit values.
    private static final int PW_GID_OFFSET = 20;

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private ForkerLibc() {
    }

    /** The user with this id, or null when there is none. */
    static synchronized Passwd user(int uid) {
        return passwd(LIBC.getpwuid(uid));
    }

    /** The user of this name, or null when there is none. */
    static synchronized Passwd user(String name) {
        return passwd(LIBC.getpwnam(name));
    }

    /** The name of the group with this id, or null when there is none. */
    static synchronized String groupName(int gid) {
        Pointer gr = LIBC.getgrgid(gid);
        return gr == null ? null : gr.getPointer(0).getString(0);
    }

    private static Passwd passwd(Pointer pw) {
        return pw == null ? null : new Passwd(pw.getPointer(0).getString(0), pw.getInt(PW_GID_OFFSET));
    }

    /** The errno of the last {@code @SaveError} call on this thread. */
    static int errno() {
        return RUNTIME.getLastError();
    }
}
