package io.mcp.master.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
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
        // Over TLS, a failed handshake is an error with a stack trace at every attempt; its one
        // useful line is the cause (e.g. "PKIX path validation failed").
        quiet("org.apache.zookeeper.ClientCnxnSocketNetty", Level.SEVERE).setFilter(new OneLine(Duration.ofMinutes(1)));
    }

    /**
     * Turns a record with an exception into one line ending with the exception's deepest cause,
     * and lets the same line through at most once per {@code every}.
     */
    static final class OneLine implements Filter {
        private final Duration every;
        private final Map<String, Long> lastSeen = new HashMap<>();

        OneLine(Duration every) {
            this.every = every;
        }

        @Override
        public synchronized boolean isLoggable(LogRecord r) {
            Throwable t = r.getThrown();
            if (t != null) {
                while (t.getCause() != null && t.getCause() != t) {
                    t = t.getCause();
                }
                r.setMessage(r.getMessage() + ": " + t);
                r.setThrown(null);
            }
            long now = r.getInstant().toEpochMilli();
            Long before = lastSeen.get(r.getMessage());
            if (before != null && now - before < every.toMillis()) {
                return false;
            }
            lastSeen.put(r.getMessage(), now);
            return true;
        }
    }

    private static Logger quiet(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        if (logger.getLevel() == null) {
            logger.setLevel(level);
        }
        QUIETED.add(logger);
        return logger;
    }
}
