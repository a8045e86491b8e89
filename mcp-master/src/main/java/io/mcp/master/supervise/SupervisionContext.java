package io.mcp.master.supervise;

import io.mcp.core.event.EventLog;
import io.mcp.core.os.Os;
import io.mcp.core.os.PidWatcher;
import io.mcp.core.paths.NodePaths;
import io.mcp.master.forker.ForkerClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link ServiceSupervisor} shares. {@code loop} is the single thread on which all
 * supervision state changes; everything else posts to it.
 *
 * @param startTimeout how long a started service has to show its live process
 * @param stopTimeout how long the stop actions, then SIGTERM, each get before the next step
 * @param actionTimeout the longest one start or stop action may run
 * @param statusChanged told (on the loop) after a service's state changed, to publish it
 */
public record SupervisionContext(
        NodePaths paths,
        Os os,
        PidWatcher pidWatcher,
        ForkerClient forker,
        EventLog events,
        Clock clock,
        ScheduledExecutorService loop,
        Duration startTimeout,
        Duration stopTimeout,
        Duration actionTimeout,
        Runnable statusChanged) {
}
