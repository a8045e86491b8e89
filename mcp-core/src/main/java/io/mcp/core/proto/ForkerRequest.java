package io.mcp.core.proto;

import java.util.List;
import java.util.Map;

/**
 * What the master asks of the forker.
 *
 * @param op {@code run}: run {@code actions} in order, each a shell line in a new session, stop at
 *     the first failure and answer when done; {@code spawn}: start {@code command} as a long-running
 *     service in a new session, write {@code pidFile}, and answer as soon as it is started;
 *     {@code ping}: answer at once.
 * @param service the service this is for (names the output log)
 * @param timeoutMillis per action for {@code run}; the action's process group is killed past it
 * @param log file that receives the actions' stdout and stderr (appended)
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
        String log) {
    public static final String RUN = "run";
    public static final String SPAWN = "spawn";
    public static final String PING = "ping";

    public static ForkerRequest ping() {
        return new ForkerRequest(PING, null, null, null, null, null, null, null, 0, null, null);
    }
}
