package io.mcp.core.os;

/**
 * A process as {@code /proc} shows it.
 *
 * @param state the one-letter state from {@code /proc/PID/stat}; {@code Z} and {@code X} are dead
 * @param startTime clock ticks after boot (field 22 of {@code stat}): with the PID, names one process
 * @param comm the kernel's name for it (15 characters at most)
 * @param argv0 the first word of its command line, empty for a kernel thread or zombie
 */
public record ProcessInfo(long pid, char state, long startTime, long pgid, long sid, String comm, String argv0) {

    public boolean alive() {
        return state != 'Z' && state != 'X';
    }

    /**
     * Whether this process is the one a definition's {@code <process name=>} means: its comm,
     * or the basename of its argv[0]. The kernel cuts comm to 15 characters, so a longer name
     * matches a comm that is its first 15.
     */
    public boolean matchesName(String name) {
        if (name == null) {
            return false;
        }
        if (name.equals(comm) || (comm.length() == 15 && name.startsWith(comm))) {
            return true;
        }
        String base = argv0.substring(argv0.lastIndexOf('/') + 1);
        return name.equals(base);
    }

    public String describe() {
        return "pid " + pid + " (" + (argv0.isEmpty() ? comm : argv0.substring(argv0.lastIndexOf('/') + 1)) + ")";
    }
}
