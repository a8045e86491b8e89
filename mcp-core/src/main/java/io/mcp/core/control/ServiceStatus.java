package io.mcp.core.control;

import java.util.List;

/**
 * A service as {@code mcpctl} shows it. The first eight fields are the JSON contract of
 * {@code mcpctl services --json}; the rest are detail for {@code mcpctl services NAME}.
 *
 * @param state one of {@code running}, {@code starting}, {@code stopping}, {@code stopped},
 *     {@code backoff}, {@code waiting}, {@code invalid}
 * @param phase the precise supervision phase behind {@code state}, e.g. {@code STOPPING_SIGTERM}
 * @param reason why the service is in its state (the last failure, the unmet condition)
 * @param backoffSeconds the wait before the next start when in backoff
 * @param file the definition file
 * @param restartArmed the forker is armed to restart the service's process the moment it dies
 *     (JSON only; null when not known, e.g. in listings)
 */
public record ServiceStatus(
        String name,
        String description,
        boolean enabled,
        boolean display,
        String state,
        Long pid,
        int restarts,
        List<String> options,
        String phase,
        String reason,
        Double backoffSeconds,
        String nextStartAt,
        String since,
        String file,
        String processName,
        String pidFile,
        List<ActionResult> lastActions,
        Boolean restartArmed) {

    /** Without {@code restartArmed}. */
    public ServiceStatus(String name, String description, boolean enabled, boolean display, String state, Long pid,
            int restarts, List<String> options, String phase, String reason, Double backoffSeconds, String nextStartAt,
            String since, String file, String processName, String pidFile, List<ActionResult> lastActions) {
        this(name, description, enabled, display, state, pid, restarts, options, phase, reason, backoffSeconds,
                nextStartAt, since, file, processName, pidFile, lastActions, null);
    }

    /** Only the contract fields: what a listing of many services needs, a fraction of the bytes. */
    public ServiceStatus summary() {
        return new ServiceStatus(name, description, enabled, display, state, pid, restarts, options, null, null, null,
                null, null, null, null, null, null);
    }

    /** The result of one actionlist run, as kept for display. */
    public record ActionResult(String list, String at, boolean ok, String summary, long durationMillis, String outputTail) {
    }
}
