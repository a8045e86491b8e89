package io.mcp.master.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * ZooKeeper and Curator log through slf4j, which MCP sends to java.util.logging. At INFO they
 * print dozens of lines per connection (client environment, server settings); MCP logs the
 * cluster's state changes itself, so theirs are kept to warnings and errors. The client's
 * connection code is kept to errors: while ZooKeeper is away it warns, with a stack trace, at every
 * reconnection attempt, about once a second. A level set in a logging configuration file wins.
 */
final class ZkLogging {
    /** java.util.logging holds loggers weakly: a logger that is collected forgets its level. */
    private static final List<Logger> QUIETED = new ArrayList<>();

    private ZkLogging() {
    }

    static synchronized void quiet() {
        if (!QUIETED.isEmpty()) {
            return;
        }
        quiet("org.apache.zookeeper", Level.WARNING);
        quiet("org.apache.curator", Level.WARNING);
        quiet("org.apache.zookeeper.ClientCnxn", Level.SEVERE);
    }

    private static void quiet(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        if (logger.getLevel() == null) {
            logger.setLevel(level);
        }
        QUIETED.add(logger);
    }
}
