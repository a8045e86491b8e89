package io.mcp.core.model;

import java.util.Arrays;
import java.util.Optional;

/** The words a service's {@code options} attribute may hold. */
public enum ServiceOption {
    /** Start only while the node is in quorum. */
    REQUIRE_QUORUM("require-quorum"),
    /** Stop when the node loses quorum. */
    KILL_ON_SIGQUORUM("kill-on-sigquorum"),
    /** Start only once the cluster store is reachable and this node's overrides are in sync. */
    REQUIRE_POST_IFS("require-post-ifs");

    private final String xml;

    ServiceOption(String xml) {
        this.xml = xml;
    }

    public String xml() {
        return xml;
    }

    public static Optional<ServiceOption> fromXml(String word) {
        return Arrays.stream(values()).filter(o -> o.xml.equals(word)).findFirst();
    }
}
