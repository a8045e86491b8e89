package io.mcp.core.proto;

import java.util.List;
import java.util.Map;

/**
 * What the master asks of the forker.
 *
 * @param op {@code run}: run {@code actions} in order, each a shell line in a new session, stop at
 *     the first failure and answer when done; {@code spawn}: start {@code command} as a long-running
 *     service in a new session, write {@code pidFile}, and answer as soon as it is started;
 *     {@code ping}: answer at once; {@code arm}: the service {@code pid}, which this forker
 *     spawned, is to be spawned again at once, as this request's {@code spawn} fields say, if it
 *     dies (once: an arm is used up by one respawn); {@code disarm}: no longer; answers with the new
 *     PID if it was respawned already; {@code respawned}: {@code pid} died: answers with the PID it
 *     was respawned as, or not ok when it was not (and then never will be).
 * @param service the service this is for (names the output log)
 * @param timeoutMillis per action for {@code run}; the action's process group is killed past it
 * @param log file that receives the actions' stdout and stderr (appended)
 * @param pid the running service an {@code arm}, {@code disarm} or {@code respawned} is about;
 *     absent otherwise
 */
public record ForkerRequest(
        String op,
        String service,
        List<String> actions,
        String command,
        Map<String, String> env,
        String user,
        String group,
        String workdir,
        long timeoutMillis,
        String pidFile,
        String log,
        Long pid) {
    public static final String RUN = "run";
    public static final String SPAWN = "spawn";
    public static final String PING = "ping";
    public static final String ARM = "arm";
    public static final String DISARM = "disarm";
    public static final String RESPAWNED = "respawned";

    /** A request about no particular running process: every op but the three about a pid. */
    public ForkerRequest(String op, String service, List<String> actions, String command, Map<String, String> env,
            String user, String group, String workdir, long timeoutMillis, String pidFile, String log) {
        this(op, service, actions, command, env, user, group, workdir, timeoutMillis, pidFile, log, null);
    }

    /** The same request about {@code pid} with {@code op}: a spawn request turned into its {@code arm}. */
    public ForkerRequest about(String op, long pid) {
        return new ForkerRequest(op, service, actions, command, env, user, group, workdir, timeoutMillis, pidFile, log,
                pid);
    }

    /** {@code disarm} or {@code respawned} for {@code pid} of {@code service}. */
    public static ForkerRequest of(String op, String service, long pid) {
        return new ForkerRequest(op, service, null, null, null, null, null, null, 0, null, null, pid);
    }

    public static ForkerRequest ping() {
        return new ForkerRequest(PING, null, null, null, null, null, null, null, 0, null, null);
    }
}
