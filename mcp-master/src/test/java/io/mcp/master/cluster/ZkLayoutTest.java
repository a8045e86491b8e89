package io.mcp.master.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ZkLayoutTest {
    @Test
    void everyPathIsUnderTheClustersNamespace() {
        ZkLayout layout = new ZkLayout("prod");
        assertEquals("/mcp/prod", layout.clusterPath());
        assertEquals("/mcp/prod/members", layout.membersPath());
        assertEquals("/mcp/prod/members/2", layout.member("2"));
        assertEquals("/mcp/prod/overrides", layout.overridesPath());
        assertEquals("/mcp/prod/overrides/sysctl.conf", layout.override("sysctl.conf"));
        assertEquals("/mcp/prod/mlist", layout.mlistPath());
        assertEquals("/mcp/prod/locks/coordinator", layout.coordinatorLock());
    }

    @Test
    void validNameRefusesWhatCouldEscapeOrCorrupt() {
        for (String bad : new String[] {"..", "../etc", "a..b", "a/b", "/", "x\0y", "\0", "", ".", "tab\there",
                "del\u007f", "x".repeat(256), "\u00e9".repeat(128)}) {
            assertThrows(IllegalArgumentException.class, () -> ZkLayout.validName(bad), "accepted " + bad);
        }
        assertThrows(IllegalArgumentException.class, () -> ZkLayout.validName(null));
        assertThrows(IllegalArgumentException.class, () -> new ZkLayout(".."));
        assertThrows(IllegalArgumentException.class, () -> new ZkLayout("prod").member("a/b"));
        for (String good : new String[] {"1", "node-2", "sysctl.conf", ".hidden", "x".repeat(255), "\u00e9t\u00e9"}) {
            assertEquals(good, ZkLayout.validName(good));
        }
    }

    @Test
    void childNameTakesOnlyValidDirectChildren() {
        String members = new ZkLayout("prod").membersPath();
        assertEquals("3", ZkLayout.childName(members, members + "/3"));
        assertNull(ZkLayout.childName(members, members));
        assertNull(ZkLayout.childName(members, members + "/3/x"));
        assertNull(ZkLayout.childName(members, "/mcp/other/members/3"));
        assertNull(ZkLayout.childName(members, members + "/.."));
    }
}
