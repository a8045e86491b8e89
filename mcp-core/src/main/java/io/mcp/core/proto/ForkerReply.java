package io.mcp.core.proto;

/**
 * The forker's answer.
 *
 * @param ok the list ran to its end with every action exiting 0, or the spawn succeeded
 * @param exitCode exit code of the last action run, when it exited
 * @param signal signal number that ended the last action, when it was killed
 * @param execFailed the action could not be started at all (no shell, no such program in spawn)
 * @param timedOut the last action ran past its timeout and was killed
 * @param failedAction the action line that failed, if one did
 * @param outputTail the last few KiB the actions printed
 * @param pid the spawned service's PID ({@code spawn} only)
 * @param error why the request itself failed (bad request, resource shortage), if it did
 */
public record ForkerReply(
        boolean ok,
        Integer exitCode,
        Integer signal,
        boolean execFailed,
        boolean timedOut,
        long durationMillis,
        String failedAction,
        String outputTail,
        Long pid,
        String error) {

    public static ForkerReply failure(String error) {
        return new ForkerReply(false, null, null, false, false, 0, null, null, null, error);
    }

    /** One line for an operator: what happened to the action. */
    public String summary() {
        if (ok) {
            return pid != null ? "started, pid " + pid : "ok";
        }
        if (error != null) {
            return error;
        }
        String what = failedAction == null ? "action" : "'" + failedAction + "'";
        if (execFailed) {
            return what + " could not be executed";
        }
        if (timedOut) {
            return what + " timed out after " + durationMillis + " ms";
        }
        if (signal != null) {
            return what + " killed by signal " + signal;
        }
        return what + " exited with code " + exitCode;
    }

    /** {@code "; output: LINE"} with the last line the actions printed, or nothing when they printed none. */
    public String lastOutputLine() {
        if (outputTail == null || outputTail.isBlank()) {
            return "";
        }
        String[] lines = outputTail.strip().split("\n");
        return "; output: " + lines[lines.length - 1];
    }
}
