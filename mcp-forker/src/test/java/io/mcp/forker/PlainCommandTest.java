package io.mcp.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.proto.ForkerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which service command lines the forker executes itself, and which still go through sh. */
class PlainCommandTest {
    @TempDir
    Path dir;

    @Test
    void splitsPlainWordsOnBlanks() {
        assertEquals(List.of("/usr/sbin/webd", "--daemon", "-p", "8080"), PlainCommand.words("/usr/sbin/webd --daemon -p 8080"));
        assertEquals(List.of("svc", "--opt=a,b:c", "x@y", "50%", "+1", "a.b_c-d"),
                PlainCommand.words("  svc\t--opt=a,b:c  x@y 50% +1 a.b_c-d  "));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ",
        "svc 'quoted arg'", "svc \"quoted\"", "svc $HOME", "svc ${X}", "svc `id`", "svc $(id)",
        "a; b", "a && b", "a || b", "a | b", "a &", "a > out", "a < in", "a 2>&1", "a >> out",
        "svc *.conf", "svc file?", "svc [ab]", "svc ~/x", "svc ~", "svc a\\ b", "svc \\n",
        "svc # comment", "a\nb", "svc (x)", "svc {a,b}", "svc !x", "svc é",
        "X=1 svc", "PATH=/x svc", "=svc",
        "-svc", "cd /tmp", "exec svc", "echo hi", "kill 1", "test -f x", "if", "while", "true", ". file",
        ": nothing", "eval svc", "export X", "set -e", "ulimit -n 10", "umask 022",
    })
    void anythingTheShellWouldInterpretGoesThroughIt(String line) {
        assertNull(PlainCommand.words(line), line);
    }

    @Test
    void findsTheProgramOnThePathLikeSh() throws IOException {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Path prog = script(b.resolve("prog"), "#!/bin/sh\nexit 0\n");
        Files.writeString(a.resolve("prog"), "not executable");

        assertEquals(prog, PlainCommand.program("prog", a + ":" + b));
        assertEquals(prog, PlainCommand.program(prog.toString(), null));
        assertEquals(Path.of("/bin/sh"), PlainCommand.program("/bin/sh", null), "an ELF file through a link");
    }

    @Test
    void leavesToShWhatItWouldDecide() throws IOException {
        Path b = Files.createDirectories(dir.resolve("b"));
        script(b.resolve("prog"), "#!/bin/sh\nexit 0\n");
        script(b.resolve("noshebang"), "exit 0\n"); // sh runs it as a script; exec would fail with ENOEXEC

        assertNull(PlainCommand.program("missing", b.toString()), "not found: sh reports it, exit 127");
        Files.writeString(b.resolve("plain"), "not executable");
        assertNull(PlainCommand.program("plain", b.toString()), "not executable: sh reports it, exit 126");
        // Found; the kernel refuses it (ENOEXEC) and the forker falls back to sh, which runs it.
        assertEquals(b.resolve("noshebang"), PlainCommand.program("noshebang", b.toString()));
        assertNull(PlainCommand.program("prog", ":" + b), "an empty PATH entry is the working directory");
        assertNull(PlainCommand.program("prog", "rel:" + b), "a relative PATH entry");
        assertNull(PlainCommand.program("prog", null), "no PATH");
        assertNull(PlainCommand.program("b/prog", b.toString()), "a relative path");
        assertNull(PlainCommand.program("./prog", b.toString()));
    }

    @Test
    void aPlainServiceCommandIsExecutedDirectlyInItsDirectory() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path prog = script(bin.resolve("svc"), "#!/bin/sh\nexit 0\n");
        ShellCommand shell = ShellCommand.of(request(null, null), dir, ShellCommandTest.ROOT_IDENTITY,
                Map.of("PATH", bin.toString(), "PWD", "/elsewhere"));

        ShellCommand.Launch launch = shell.service("svc --flag x=1", true);

        assertEquals(prog.toString(), launch.program());
        assertEquals(List.of("svc", "--flag", "x=1"), launch.argv(), "argv[0] as written, as sh's exec passes it");
        assertEquals(dir, launch.workdir());
        assertEquals(List.of("PATH=" + bin, "PWD=" + dir), launch.env().stream().sorted().toList());
    }

    @Test
    void otherServiceCommandsStillGoThroughShWithExec() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("svc"), "#!/bin/sh\nexit 0\n");
        Map<String, String> env = Map.of("PATH", bin.toString());
        ShellCommand plain = ShellCommand.of(request(null, null), dir, ShellCommandTest.ROOT_IDENTITY, env);

        String cd = "cd " + ShellCommand.quote(dir.toString()) + " || exit\n";
        assertEquals(List.of("/bin/sh", "-c", cd + "exec svc > x"), plain.service("svc > x", true).argv());
        assertEquals(List.of("/bin/sh", "-c", cd + "exec svc"), plain.service("svc", false).argv(),
                "a spawner that cannot change directory");
        assertNull(plain.service("svc", false).workdir());
        assertEquals(List.of("/bin/sh", "-c", cd + "exec missing"), plain.service("missing", true).argv());
        ShellCommand gone = ShellCommand.of(request(null, null), dir.resolve("no-such-dir"),
                ShellCommandTest.ROOT_IDENTITY, env);
        assertEquals("/bin/sh", gone.service("svc", true).argv().get(0), "sh reports a missing directory");
        ShellCommand asUser = ShellCommand.of(request("nobody", null), dir, ShellCommandTest.ROOT_IDENTITY, env);
        assertEquals("/usr/bin/setpriv", asUser.service("svc", true).argv().get(0));
    }

    @Test
    void aPlainActionLineRunsItsProgramAndAnyOtherGoesThroughShWithoutExec() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("reload"), "#!/bin/sh\nexit 0\n");
        Map<String, String> env = Map.of("PATH", bin.toString());
        ShellCommand plain = ShellCommand.of(request(null, null), dir, ShellCommandTest.ROOT_IDENTITY, env);

        ShellCommand.Launch direct = plain.action("reload --now", true);
        assertTrue(direct.direct());
        assertEquals(bin.resolve("reload").toString(), direct.program());
        assertEquals(List.of("reload", "--now"), direct.argv());
        assertEquals(dir, direct.workdir());
        String cd = "cd " + ShellCommand.quote(dir.toString()) + " || exit\n";
        assertEquals(List.of("/bin/sh", "-c", cd + "reload; reload"), plain.action("reload; reload", true).argv(),
                "a list of commands: every one of them runs");
        assertEquals(List.of("/bin/sh", "-c", cd + "reload --now"), plain.action("reload --now", false).argv());
    }

    private static ForkerRequest request(String user, String group) {
        return new ForkerRequest(ForkerRequest.SPAWN, "svc", null, "svc", null, user, group, null, 0, "pid", "log");
    }

    private static Path script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }
}
