package io.mcp.ctl;

import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.control.MlistReport;
import io.mcp.core.control.NodeStatus;
import io.mcp.core.control.ServiceStatus;
import io.mcp.core.event.Event;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.Json;
import io.mcp.core.proto.JsonLineServer;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.io.FileUtils;

/**
 * The training run behind the class-data-sharing archive of {@code bin/mcpctl}: runs the
 * common commands against a stand-in master on a socket in a temporary directory, so that the
 * archive holds the classes a real run loads (Jackson's above all). Not for users; prints
 * nothing.
 */
public final class CdsWarmup {
    private CdsWarmup() {
    }

    /** Runs the warm-up commands, then exits 0; a failure exits non-zero and leaves no archive. */
    public static void main(String[] unused) throws Exception {
        Path root = Files.createTempDirectory("mcpctl-warmup");
        NodePaths paths = new NodePaths(root);
        ServiceStatus service = new ServiceStatus("warmup", "Warm-up service", true, true, "running", 1L, 0,
                List.of("require-quorum"), "RUNNING", null, null, null, null, null, "warmup", null,
                List.of(new ServiceStatus.ActionResult("start", "1970-01-01T00:00:00Z", true, "exit 0", 1, "ok\n")));
        NodeStatus node = new NodeStatus(root.toString(), "1",
                List.of(new NodeStatus.ProcessEntry(NodePaths.MASTER, 1L, true)), "connected", true, List.of("1"), 1, 1, true, null);
        MlistReport.Entry entry = new MlistReport.Entry("warmup.xml", "0cc175b9c0f1b6a831c399e269772661", 0, 0, "warmup",
                "1", "same");
        MlistReport mlist = new MlistReport("warmup", "1", List.of(entry), List.of(), true, null, List.of(entry),
                List.of(new MlistReport.Difference("warmup.xml", MlistReport.REVISION, entry.md5(), 0, entry.md5(), 1)),
                false);
        try (JsonLineServer<ControlRequest, ControlReply> server = new JsonLineServer<>(paths.controlSocket(),
                "rw-------", ControlRequest.class, (r, peer) -> new ControlReply(true, null, Json.MAPPER.valueToTree(
                        switch (r.command()) {
                            case ControlRequest.SERVICES -> List.of(service);
                            case ControlRequest.STATUS -> node;
                            case ControlRequest.MLIST -> mlist;
                            default -> service;
                        })),
                e -> ControlReply.error(e.toString()))) {
            Files.createDirectories(paths.logDir());
            Files.writeString(paths.eventsLog(), Json.MAPPER.writeValueAsString(
                    new Event("1970-01-01T00:00:00Z", "info", "warmup", "started", "warm-up")) + "\n");
            PrintWriter sink = new PrintWriter(Writer.nullWriter());
            for (String command : List.of("services -a", "services -a --json", "services warmup", "status", "events", "mlist")) {
                String[] args = Stream.concat(Stream.of("--root", root.toString()), Stream.of(command.split(" ")))
                        .toArray(String[]::new);
                Mcpctl.run(args, sink, sink, Mcpctl.TIMEOUT);
            }
        } finally {
            FileUtils.deleteDirectory(root.toFile());
        }
        System.exit(ExitCode.OK);
    }
}
