package io.mcp.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.mcp.core.control.ServiceStatus;
import io.mcp.master.supervise.Conditions;
import org.junit.jupiter.api.Test;

/** Services whose options tie them to quorum and to the cluster store. */
class ConditionsTest extends NodeTest {
    @Test
    void requireQuorumWaitsForQuorumAndKillOnSigquorumStopsWhenItIsLost() throws Exception {
        node.define("q.xml", node.foreground("q", true, "require-quorum,kill-on-sigquorum"));
        node.define("plain.xml", node.foreground("plain", true));
        node.startMaster(Conditions.UNKNOWN);
        long plain = node.awaitState("plain", "running").pid();
        ServiceStatus waiting = node.awaitState("q", "waiting");
        assertEquals("waiting for quorum", waiting.reason());

        node.master().conditionsChanged(new Conditions(true, true));
        long first = node.awaitState("q", "running").pid();

        node.master().conditionsChanged(new Conditions(false, true));
        node.awaitState("q", "waiting");
        assertFalse(TestNode.alive(first), "stopped on losing quorum");
        assertEquals(plain, node.status("plain").orElseThrow().pid(), "a service without options is untouched");

        node.master().conditionsChanged(new Conditions(true, true));
        assertNotEquals(first, node.awaitState("q", "running").pid());
    }

    @Test
    void killOnSigquorumAloneWaitsForQuorumToReturnInsteadOfStartingAgain() throws Exception {
        node.define("k.xml", node.foreground("k", true, "kill-on-sigquorum"));
        node.startMaster(new Conditions(true, true));
        long first = node.awaitState("k", "running").pid();
        node.master().conditionsChanged(new Conditions(false, true));
        assertEquals("waiting for quorum", node.awaitState("k", "waiting").reason());
        assertFalse(TestNode.alive(first), "stopped on losing quorum");
        node.master().conditionsChanged(new Conditions(true, true));
        assertNotEquals(first, node.awaitState("k", "running").pid());
    }

    @Test
    void requireQuorumAloneKeepsRunningWhenQuorumIsLost() throws Exception {
        node.define("r.xml", node.foreground("r", true, "require-quorum"));
        node.startMaster(new Conditions(true, true));
        long pid = node.awaitState("r", "running").pid();
        node.master().conditionsChanged(new Conditions(false, false));
        node.define("marker.xml", node.foreground("marker", true)); // a later event, to know the change was seen
        node.awaitState("marker", "running");
        assertEquals(pid, node.status("r").orElseThrow().pid());
    }

    @Test
    void requirePostIfsWaitsForTheClusterStore() throws Exception {
        node.define("p.xml", node.foreground("p", true, "require-post-ifs"));
        node.startMaster(new Conditions(true, false));
        assertEquals("waiting for the cluster store", node.awaitState("p", "waiting").reason());
        node.master().conditionsChanged(new Conditions(true, true));
        node.awaitState("p", "running");
    }

    @Test
    void disablingAWaitingServiceStopsWaiting() throws Exception {
        node.define("w.xml", node.foreground("w", true, "require-quorum"));
        node.startMaster(Conditions.UNKNOWN);
        node.awaitState("w", "waiting");
        new io.mcp.master.override.ServiceOverrides(node.paths).setEnabled("w", false);
        node.awaitState("w", "stopped");
    }
}
