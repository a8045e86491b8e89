package io.mcp.ctl;

import static io.mcp.ctl.CtlRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.MlistReport;
import io.mcp.core.control.MlistReport.Difference;
import io.mcp.core.control.MlistReport.Entry;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mcpctl mlist} output and exit codes against {@link TestMaster}; the end-to-end test in
 * mcp-it runs it against a real master.
 */
class MlistCommandTest {
    private static final String A = "0cc175b9c0f1b6a831c399e269772661";
    private static final String B = "92eb5ffee6ae2fec3ad71c777531578f";
    @TempDir
    Path root;

    private static Entry local(String path, String md5, int rev, String disk) {
        return new Entry(path, md5, 1000, rev, "prod", null, disk);
    }

    private static Entry master(String path, String md5, int rev, String node) {
        return new Entry(path, md5, 1000, rev, "prod", node, null);
    }

    @Test
    void agreeingMlistsAreSaidToAgree() throws Exception {
        try (TestMaster m = new TestMaster(new NodePaths(root))) {
            m.mlist = new MlistReport("prod", "2", List.of(local("a.txt", A, 0, "same")), List.of(), true, null,
                    List.of(master("a.txt", A, 0, "1")), List.of(), true);

            CtlRun r = run("--root", root.toString(), "mlist");

            assertEquals(0, r.code(), r::toString);
            assertEquals(List.of(new ControlRequest(ControlRequest.MLIST, null, false)), m.requests);
            List<String> lines = r.outLines();
            assertEquals("Node 2 of cluster prod", lines.get(0));
            assertTrue(lines.get(1).matches("Path +Local MD5 +Local Rev +Cluster MD5 +Cluster Rev +Changed By +On Disk"),
                    lines.get(1));
            assertTrue(lines.get(3).matches("a\\.txt +0cc175b9c0f1 +0 +0cc175b9c0f1 +0 +1 +same"), lines.get(3));
            assertEquals("Total: 1", lines.get(5));
            assertEquals("Local and cluster mlists agree.", lines.get(7));
            assertEquals(8, lines.size(), r::toString);
        }
    }

    @Test
    void differencesAndPendingEditsAreListed() throws Exception {
        try (TestMaster m = new TestMaster(new NodePaths(root))) {
            m.mlist = new MlistReport("prod", "2",
                    List.of(local("a.txt", A, 2, "modified"), local("b.txt", A, 0, "same"), local("d.txt", A, 1, "missing")),
                    List.of("new.txt"), true, null,
                    List.of(master("a.txt", B, 3, "3"), master("c.txt", B, 0, "1"), master("d.txt", A, 4, "1")),
                    List.of(new Difference("a.txt", "md5", A, 2, B, 3), new Difference("b.txt", "only-local", A, 0, null, null),
                            new Difference("c.txt", "only-cluster", null, null, B, 0),
                            new Difference("d.txt", "revision", A, 1, A, 4)),
                    false);

            CtlRun r = run("--root", root.toString(), "mlist");

            assertEquals(0, r.code(), r::toString);
            String out = r.out();
            assertTrue(out.contains("""
                    Differences:
                      a.txt: md5 differs (local 0cc175b9c0f1 rev 2, cluster 92eb5ffee6ae rev 3)
                      b.txt: only in the local mlist (local 0cc175b9c0f1 rev 0)
                      c.txt: only in the cluster's mlist (cluster 92eb5ffee6ae rev 0)
                      d.txt: revision differs (local 1, cluster 4, same md5 0cc175b9c0f1)
                    Pending local edits:
                      a.txt: modified on disk since its mlist entry
                      d.txt: deleted on disk, still in the mlist
                      new.txt: on disk, not in the mlist (not published yet, or refused: see mcpctl events)
                    """), out);
            assertTrue(r.outLines().stream().anyMatch(l -> l.matches("new\\.txt +- +- +- +- +- +new")), out);
        }
    }

    @Test
    void withTheClusterUnavailableTheLocalSideIsShownAndTheExitIsOne() throws Exception {
        try (TestMaster m = new TestMaster(new NodePaths(root))) {
            m.mlist = new MlistReport("prod", "2", List.of(local("a.txt", A, 0, "modified")), List.of(), false,
                    "ZooKeeper is suspended", null, null, false);

            CtlRun r = run("--root", root.toString(), "mlist");

            assertEquals(ExitCode.FAILED, r.code(), r::toString);
            assertEquals(List.of("mcpctl: the cluster's mlist is unavailable: ZooKeeper is suspended"), r.errLines());
            assertTrue(r.outLines().stream().anyMatch(l -> l.matches("a\\.txt +0cc175b9c0f1 +0 +\\? +\\? +- +modified")),
                    r::toString);
            assertTrue(r.out().contains("The cluster's mlist is unavailable: ZooKeeper is suspended"), r::toString);

            CtlRun json = run("--root", root.toString(), "mlist", "--json");
            assertEquals(ExitCode.FAILED, json.code(), json::toString);
            JsonNode doc = Json.MAPPER.readTree(json.out());
            assertTrue(doc.has("master") && doc.get("master").isNull(), doc::toString);
            assertTrue(doc.has("differences") && doc.get("differences").isNull(), doc::toString);
            assertEquals(false, doc.get("clusterAvailable").asBoolean(true));
            assertEquals("modified", doc.path("local").path(0).path("disk").asText());
        }
    }

    @Test
    void withTheMasterDownTheExitIsThree() {
        CtlRun r = run("--root", root.toString(), "mlist");
        assertEquals(ExitCode.UNREACHABLE, r.code(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
    }
}
