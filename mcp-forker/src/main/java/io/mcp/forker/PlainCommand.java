package io.mcp.forker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recognises a command line that {@code /bin/sh} would only split into words and execute, so
 * that the forker can execute it itself and save the shell's exec (about half a millisecond
 * on every service start and restart, more for an action line, for which sh also forks).
 *
 * <p>Conservative on purpose: a line qualifies only if it is made of words of the characters
 * {@code A-Z a-z 0-9 _ @ % + = : , . / -} separated by blanks, and its first word is not an
 * assignment, an option, a reserved word or a builtin, and names a program (an absolute path,
 * or a bare name found on the {@code PATH}). Everything else (quotes, {@code $}, {@code ;},
 * {@code |}, {@code &}, redirections, globs, {@code ~}, backslashes, comments, newlines, a
 * relative path, a program not found) goes through the shell as before, which also keeps its
 * error messages and exit codes for those cases; so does a program the kernel refuses to
 * execute (the forker tries, then falls back to sh).
 */
final class PlainCommand {
    /** sh's reserved words and builtins: a first word among them means the shell, not a program. */
    private static final Set<String> SHELL_WORDS = Set.of(
            "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in",
            "select", "then", "time", "until", "while",
            ".", ":", "alias", "bg", "break", "builtin", "cd", "command", "continue", "echo", "eval", "exec",
            "exit", "export", "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd",
            "read", "readonly", "return", "set", "shift", "source", "test", "times", "trap", "true", "type",
            "ulimit", "umask", "unalias", "unset", "wait");

    private PlainCommand() {
    }

    /** The words of {@code line} if the shell would do nothing but split it on blanks; else null. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            int start = i;
            while (i < n && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                if (!plain(line.charAt(i))) {
                    return null;
                }
                i++;
            }
            words.add(line.substring(start, i));
        }
        if (words.isEmpty()) {
            return null;
        }
        String first = words.get(0);
        if (first.indexOf('=') >= 0 || first.startsWith("-") || SHELL_WORDS.contains(first)) {
            return null;
        }
        return words;
    }

    private static boolean plain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '@' || c == '%' || c == '+' || c == '=' || c == ':' || c == ',' || c == '.'
                || c == '/' || c == '-';
    }

    /**
     * The program {@code name} names as sh would find it: an absolute path as is, a bare name in
     * the directories of {@code path} (the child's {@code PATH}, the first executable regular
     * file); null when the shell must decide (a relative path, an empty or relative {@code PATH}
     * entry before a match, no match). Whether the kernel will execute it (a script without
     * {@code #!} it will not) is found out by trying: the forker then falls back to sh.
     */
    static Path program(String name, String path) {
        if (name.startsWith("/")) {
            return Path.of(name);
        }
        if (name.indexOf('/') >= 0 || path == null || path.isEmpty()) {
            return null;
        }
        for (String dir : path.split(":", -1)) {
            if (!dir.startsWith("/")) {
                return null; // "" or a relative entry: depends on the working directory
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
