package io.mcp.forker;

import io.mcp.core.proto.ForkerRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the shell lines of one request are started: {@code /bin/sh -c LINE}, first changing to the
 * request's working directory, under {@code setpriv} when it names a user or group, with the
 * forker's environment plus the request's.
 */
final class ShellCommand {
    static final String SH = "/bin/sh";
    static final String SETPRIV = "/usr/bin/setpriv";

    /** Who the forker runs as: only root can start children as someone else. */
    record Identity(boolean root, String user, String group) {
        static Identity current() {
            int uid = ForkerLibc.LIBC.geteuid();
            int gid = ForkerLibc.LIBC.getegid();
            // A container may run us under a uid or gid with no name: then the number stands for it.
            ForkerLibc.Passwd pw = ForkerLibc.user(uid);
            String gr = ForkerLibc.groupName(gid);
            return new Identity(uid == 0, pw == null ? Integer.toString(uid) : pw.name(),
                    gr == null ? Integer.toString(gid) : gr);
        }
    }

    /**
     * How to start a process: {@code program} (an absolute path) with {@code argv} and
     * {@code env}, in {@code workdir} (null: the forker's own).
     */
    record Launch(String program, List<String> argv, List<String> env, Path workdir, boolean direct) {
    }

    private final List<String> prefix;
    private final String cd;
    private final Path workdir;
    private final List<String> env;

    private ShellCommand(List<String> prefix, String cd, Path workdir, List<String> env) {
        this.prefix = prefix;
        this.cd = cd;
        this.workdir = workdir;
        this.env = env;
    }

    /**
     * @param workdir the request's working directory, already resolved, or null
     * @throws IllegalArgumentException if the request asks for a user or group the forker cannot
     *     become, or names an unknown user, or has an environment name that is not one
     */
    static ShellCommand of(ForkerRequest request, Path workdir, Identity self, Map<String, String> baseEnv) {
        return new ShellCommand(privilegePrefix(request.user(), request.group(), self),
                workdir == null ? "" : "cd " + quote(workdir.toString()) + " || exit\n", workdir,
                environment(baseEnv, request.env()));
    }

    private static List<String> privilegePrefix(String user, String group, Identity self) {
        if (!self.root()) {
            if ((user != null && !user.equals(self.user())) || (group != null && !group.equals(self.group()))) {
                String wanted = (user == null ? "" : "user " + user + " ") + (group == null ? "" : "group " + group);
                throw new IllegalArgumentException(
                        "mcp-forker runs as " + self.user() + ", not root: cannot run as " + wanted.strip());
            }
            return List.of();
        }
        if (user != null) {
            ForkerLibc.Passwd pw = ForkerLibc.user(user);
            if (pw == null) {
                throw new IllegalArgumentException("no such user: " + user);
            }
            String regid = group != null ? group : Integer.toUnsignedString(pw.gid());
            return List.of(SETPRIV, "--reuid=" + user, "--regid=" + regid, "--init-groups", "--");
        }
        if (group != null) {
            return List.of(SETPRIV, "--regid=" + group, "--clear-groups", "--");
        }
        return List.of();
    }

    /** The forker's own environment as a list, made once: most requests add nothing to it. */
    private record BaseEnv(Map<String, String> map, List<String> list) {
    }

    private static volatile BaseEnv baseEnv;

    private static List<String> environment(Map<String, String> base, Map<String, String> extra) {
        if (extra == null || extra.isEmpty()) {
            BaseEnv known = baseEnv;
            if (known == null || known.map() != base) {
                known = new BaseEnv(base, List.copyOf(merge(base, null)));
                baseEnv = known;
            }
            return known.list();
        }
        return merge(base, extra);
    }

    private static List<String> merge(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> merged = new LinkedHashMap<>(base);
        if (extra != null) {
            extra.forEach((name, value) -> {
                if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || value == null) {
                    throw new IllegalArgumentException("bad environment entry: " + name + "=" + value);
                }
                merged.put(name, value);
            });
        }
        List<String> list = new ArrayList<>(merged.size());
        merged.forEach((name, value) -> list.add(name + "=" + value));
        return list;
    }

    /** Single-quotes {@code s} for sh: nothing inside single quotes is special except the quote itself. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** The argv that runs {@code line}. */
    List<String> argv(String line) {
        List<String> argv = new ArrayList<>(prefix.size() + 3);
        argv.addAll(prefix);
        argv.add(SH);
        argv.add("-c");
        argv.add(cd + line);
        return argv;
    }

    List<String> env() {
        return env;
    }

    /**
     * How to start {@code command} as a long-running service whose PID is the service's own: the
     * program itself when it can ({@link #direct}); otherwise {@code sh -c "cd DIR || exit; exec
     * COMMAND"}.
     *
     * @param direct false when the spawner cannot change the child's directory itself
     */
    Launch service(String command, boolean direct) {
        Launch plain = direct ? direct(command) : null;
        return plain != null ? plain : shell("exec " + command);
    }

    /**
     * How to run one line of an action list: the program itself when it can ({@link #direct}),
     * which saves a shell's start and the fork it makes for the command; otherwise {@code sh -c
     * "cd DIR || exit; LINE"}.
     */
    Launch action(String line, boolean direct) {
        Launch plain = direct ? direct(line) : null;
        return plain != null ? plain : shell(line);
    }

    /**
     * The program of {@code line} itself, when the line is plain (see {@link PlainCommand}) and no
     * user or group is asked for, in the working directory with {@code PWD} set as sh's {@code cd}
     * would; null otherwise.
     */
    private Launch direct(String line) {
        if (!prefix.isEmpty() || (workdir != null && !java.nio.file.Files.isDirectory(workdir))) {
            return null;
        }
        List<String> words = PlainCommand.words(line);
        String name = words == null ? null : words.get(0);
        // The PATH is looked up only for a bare name.
        Path program = name == null ? null : PlainCommand.program(name, name.startsWith("/") ? null : variable("PATH"));
        if (program == null) {
            return null;
        }
        // argv[0] stays the word as written, as sh's exec would pass it (ps shows the same).
        return new Launch(program.toString(), words, workdir == null ? env : withPwd(workdir), workdir, true);
    }

    /**
     * Starts {@code line}, a service's command ({@code service}) or a line of an action list, in a
     * session of its own. When the kernel will not execute the program itself (a script without
     * "#!", a directory, no permission), sh runs the line, as it always did, and says why.
     */
    Spawner.Child start(Spawner spawner, String line, boolean service, Path log) throws SpawnException {
        boolean direct = spawner.changesDirectory();
        Launch launch = service ? service(line, direct) : action(line, direct);
        try {
            return spawner.spawn(launch.program(), launch.argv(), launch.env(), launch.workdir(), log);
        } catch (SpawnException e) {
            if (!launch.direct() || !e.execFailed()) {
                throw e;
            }
            launch = service ? service(line, false) : action(line, false);
            return spawner.spawn(launch.program(), launch.argv(), launch.env(), launch.workdir(), log);
        }
    }

    private Launch shell(String line) {
        List<String> argv = argv(line);
        return new Launch(argv.get(0), argv, env, null, false);
    }

    private String variable(String name) {
        String prefixed = name + "=";
        String value = null;
        for (String e : env) {
            if (e.startsWith(prefixed)) {
                value = e.substring(prefixed.length());
            }
        }
        return value;
    }

    private List<String> withPwd(Path dir) {
        List<String> copy = new ArrayList<>(env.size() + 1);
        for (String e : env) {
            if (!e.startsWith("PWD=")) {
                copy.add(e);
            }
        }
        copy.add("PWD=" + dir);
        return copy;
    }
}
