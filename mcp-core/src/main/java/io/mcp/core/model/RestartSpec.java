package io.mcp.core.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import java.time.Duration;

/** {@code <restart initial="1s" max="256s" reset-after="10s"/>}: the failed-start backoff. */
@XmlAccessorType(XmlAccessType.FIELD)
public class RestartSpec {
    @XmlAttribute public String initial;
    @XmlAttribute public String max;
    @XmlAttribute(name = "reset-after") public String resetAfter;

    public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX = Duration.ofSeconds(256);
    public static final Duration DEFAULT_RESET_AFTER = Duration.ofSeconds(10);

    public Duration initialDelay() {
        return Durations.parseOr(initial, DEFAULT_INITIAL);
    }

    public Duration maxDelay() {
        return Durations.parseOr(max, DEFAULT_MAX);
    }

    public Duration resetAfterDelay() {
        return Durations.parseOr(resetAfter, DEFAULT_RESET_AFTER);
    }
}
