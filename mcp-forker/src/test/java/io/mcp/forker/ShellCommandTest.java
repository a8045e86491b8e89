package io.mcp.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.proto.ForkerRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How request fields turn into an argv and environment, without starting anything. */
class ShellCommandTest {
    static final ShellCommand.Identity ROOT_IDENTITY = new ShellCommand.Identity(true, "root", "root");
    private static final ShellCommand.Identity ROOT = ROOT_IDENTITY;
    private static final ShellCommand.Identity ALICE = new ShellCommand.Identity(false, "alice", "staff");

    private static ForkerRequest request(String user, String group, Map<String, String> env) {
        return new ForkerRequest(ForkerRequest.RUN, "svc", List.of(), null, env, user, group, null, 0, null, "log");
    }

    @Test
    void runsTheLineWithShAfterChangingToTheQuotedDirectory() {
        ShellCommand shell = ShellCommand.of(request(null, null, null), Path.of("/srv/it's"), ROOT, Map.of());

        assertEquals(List.of("/bin/sh", "-c", "cd '/srv/it'\\''s' || exit\necho hi"), shell.argv("echo hi"));
    }

    @Test
    void becomesTheRequestedUserWithItsPrimaryGroupThroughSetpriv() {
        ShellCommand shell = ShellCommand.of(request("nobody", null, null), null, ROOT, Map.of());

        List<String> argv = shell.argv("id");

        assertEquals(List.of("/usr/bin/setpriv", "--reuid=nobody"), argv.subList(0, 2));
        assertTrue(argv.get(2).matches("--regid=\\d+"), argv.get(2));
        assertEquals(List.of("--init-groups", "--", "/bin/sh", "-c", "id"), argv.subList(3, argv.size()));
        assertEquals(List.of("/usr/bin/setpriv", "--reuid=nobody", "--regid=daemon", "--init-groups", "--"),
                ShellCommand.of(request("nobody", "daemon", null), null, ROOT, Map.of()).argv("id").subList(0, 5));
    }

    @Test
    void aForkerThatIsNotRootRunsAsItselfOrRefuses() {
        assertEquals(List.of("/bin/sh", "-c", "id"),
                ShellCommand.of(request("alice", "staff", null), null, ALICE, Map.of()).argv("id"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShellCommand.of(request("bob", null, null), null, ALICE, Map.of()));
        assertEquals("mcp-forker runs as alice, not root: cannot run as user bob", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ShellCommand.of(request(null, "wheel", null), null, ALICE, Map.of()));
    }

    @Test
    void rejectsAnUnknownUser() {
        assertThrows(IllegalArgumentException.class,
                () -> ShellCommand.of(request("no-such-user-mcp", null, null), null, ROOT, Map.of()));
    }

    @Test
    void theRequestEnvironmentAddsToAndOverridesTheForkers() {
        ShellCommand shell = ShellCommand.of(request(null, null, Map.of("B", "request")), null, ROOT,
                Map.of("A", "forker", "B", "forker"));

        assertEquals(List.of("A=forker", "B=request"), shell.env().stream().sorted().toList());
        assertThrows(IllegalArgumentException.class,
                () -> ShellCommand.of(request(null, null, Map.of("A=B", "x")), null, ROOT, Map.of()));
    }
}
