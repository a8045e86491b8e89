package io.mcp.master.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.control.ControlReply;
import io.mcp.core.control.ControlRequest;
import io.mcp.core.os.Os;
import io.mcp.core.paths.NodePaths;
import io.mcp.core.proto.JsonLineClient;
import io.mcp.master.override.ServiceOverrides;
import io.mcp.master.supervise.Conditions;
import io.mcp.master.supervise.Supervision;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.function.Supplier;
import jdk.net.UnixDomainPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may do what on the control socket. */
class ControlSocketTest {
    @TempDir Path root;

    private ControlHandler handler(NodePaths paths, String adminGroup) {
        // No services and no loop: a refused change must not get as far as either.
        Supervision empty = new Supervision(null, Conditions.STANDALONE);
        return new ControlHandler(paths, Os.linux(), empty, new ServiceOverrides(paths), task -> {
            throw new AssertionError("a refused change reached the supervision loop");
        }, adminGroup, "1", () -> null, () -> null, () -> null);
    }

    private static Supplier<UnixDomainPrincipal> peer(String user, String group) throws Exception {
        UserPrincipalLookupService names = FileSystems.getDefault().getUserPrincipalLookupService();
        UnixDomainPrincipal p = new UnixDomainPrincipal(names.lookupPrincipalByName(user),
                names.lookupPrincipalByGroupName(group));
        return () -> p;
    }

    @Test
    void changesFromOtherUsersAreRefusedAndReadsAreNot() throws Exception {
        NodePaths paths = new NodePaths(root).ensureLayout();
        ControlHandler h = handler(paths, null);
        ControlReply refused = h.handle(new ControlRequest(ControlRequest.DISABLE, "x", false), peer("nobody", "nogroup"));
        assertFalse(refused.ok());
        assertTrue(refused.error().startsWith("permission denied: user 'nobody'"), refused.error());
        assertFalse(Files.exists(paths.serviceOverride("x")), "nothing written");

        ControlReply read = h.handle(new ControlRequest(ControlRequest.SERVICES, null, true), peer("nobody", "nogroup"));
        assertTrue(read.ok(), String.valueOf(read.error()));
    }

    @Test
    void theAdminGroupMayChangeThings() throws Exception {
        NodePaths paths = new NodePaths(root).ensureLayout();
        ControlReply r = handler(paths, "nogroup")
                .handle(new ControlRequest(ControlRequest.ENABLE, "x", false), peer("nobody", "nogroup"));
        assertEquals("no such service: x", r.error(), "past the permission check");
    }

    @Test
    void socketIsGroupReadableOnlyAndAnswersOverTheWire() throws Exception {
        NodePaths paths = new NodePaths(root).ensureLayout();
        try (var server = new io.mcp.core.proto.JsonLineServer<>(paths.controlSocket(), "rw-rw----",
                ControlRequest.class, handler(paths, null), e -> ControlReply.error(e.getMessage()))) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(paths.controlSocket())));
            ControlReply r = JsonLineClient.callOnce(paths.controlSocket(),
                    new ControlRequest(ControlRequest.SERVICE, "nope", false), ControlReply.class);
            assertEquals("no such service: nope", r.error());
        }
    }
}
