package io.mcp.forker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcp.core.os.Os;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a child inherits from the JVM that spawns it. Checked on programs started directly, not
 * through sh: dash resets its own signal mask, which would hide what the spawner passed on.
 */
class PosixSpawnerTest {
    @TempDir
    Path dir;

    private final PosixSpawner spawner = new PosixSpawner(Reaper.instance());
    private final List<Spawner.Child> children = new ArrayList<>();

    @AfterEach
    void killUnfinished() {
        for (Spawner.Child child : children) {
            // Only while unreaped is the PID surely still this child's.
            if (!child.exit().isDone()) {
                Os.linux().killGroup(child.pid(), Os.SIGKILL);
            }
        }
    }

    private String runToEnd(String... argv) throws Exception {
        Path log = dir.resolve("out.log");
        Files.deleteIfExists(log);
        Spawner.Child child = spawner.spawn(List.of(argv), List.of("PATH=/usr/bin:/bin"), log);
        children.add(child);
        assertEquals(new ExitStatus(0, null), child.exit().get(TestProcesses.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        return Files.readString(log);
    }

    @Test
    void startsWithNoBlockedOrIgnoredSignals() throws Exception {
        // This test thread, like every Java thread, has SIGQUIT blocked; the child must not.
        assertEquals("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
                runToEnd("/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"));
    }

    @Test
    void startsWithOnlyStdinFromDevNullAndStdoutAndStderrToTheLog() throws Exception {
        // The JDK opens most descriptors without O_CLOEXEC; sh's child looks at sh's descriptors.
        assertEquals("0\n1\n2\n/dev/null\nto stderr\n",
                runToEnd("/bin/sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/0; echo to stderr >&2"));
    }

    @Test
    void startsInTheGivenDirectory() throws Exception {
        assertTrue(spawner.changesDirectory(), "glibc 2.29+ has posix_spawn_file_actions_addchdir_np");
        Path work = Files.createDirectories(dir.resolve("work dir"));
        Path log = dir.resolve("pwd.log");
        Spawner.Child child = spawner.spawn("/bin/pwd", List.of("pwd", "-P"), List.of(), work, log);
        children.add(child);

        assertEquals(new ExitStatus(0, null), child.exit().get(TestProcesses.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(work.toRealPath() + "\n", Files.readString(log));
    }

    @Test
    void spawnsOneAfterAnotherEachGetTheirOwnLogDirectoryAndEnvironment() throws Exception {
        // Each spawn's log gets the descriptor the previous one closed: what is kept for one
        // descriptor and directory must still send every child's output to its own log.
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        String[][] runs = {{"a", "one.log", "V=1"}, {"b", "two.log", "V=2"}, {"a", "two.log", "V=3"},
            {"b", "one.log", "V=3"}};
        for (String[] run : runs) {
            Path work = dir.resolve(run[0]);
            Spawner.Child child = spawner.spawn("/bin/sh", List.of("sh", "-c", "echo $V $(pwd -P)"),
                    List.of(run[2]), work, dir.resolve(run[1]));
            children.add(child);
            assertEquals(new ExitStatus(0, null), child.exit().get(TestProcesses.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        }

        assertEquals("1 " + a.toRealPath() + "\n3 " + b.toRealPath() + "\n", Files.readString(dir.resolve("one.log")));
        assertEquals("2 " + b.toRealPath() + "\n3 " + a.toRealPath() + "\n", Files.readString(dir.resolve("two.log")));
    }

    @Test
    void argvZeroIsPassedAsGivenNotAsTheProgramPath() throws Exception {
        Path log = dir.resolve("argv0.log");
        Spawner.Child child = spawner.spawn("/bin/sh", List.of("my-name", "-c", "echo $0"), List.of(), null, log);
        children.add(child);

        assertEquals(new ExitStatus(0, null), child.exit().get(TestProcesses.DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals("my-name\n", Files.readString(log));
    }

    @Test
    void aProgramThatCannotBeExecutedIsAnExecFailureNotAResourceShortage() {
        SpawnException e = assertThrows(SpawnException.class,
                () -> spawner.spawn(List.of("/no/such/program"), List.of(), dir.resolve("out.log")));

        assertTrue(e.execFailed());
        assertEquals("cannot spawn /no/such/program: No such file or directory (ENOENT)", e.getMessage());
    }
}
