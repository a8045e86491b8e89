package io.mcp.ctl;

import java.util.ArrayList;
import java.util.List;

/**
 * The listings run most often, {@code services [-a] [--json]} and {@code services NAME [--json]}
 * (with {@code --root DIR} anywhere), parsed by hand: picocli builds its model by reflection and
 * loads some 150 classes that cannot be kept in the class-data archive, about half of a run's
 * time; and the table of services and one service's lines are read without Jackson ({@link MiniJson}). Anything else (other commands, help, a mistake, an unusual spelling) is left to
 * picocli, which handles it exactly as before.
 */
final class FastPath {
    private FastPath() {
    }

    /** The exit code, or null when picocli must parse this command line. */
    static Integer run(String[] args, Context ctx) {
        String root = null;
        boolean command = false;
        boolean all = false;
        boolean json = false;
        List<String> names = new ArrayList<>(1);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--root") || a.startsWith("--root=")) {
                String value = a.equals("--root") ? (i + 1 < args.length ? args[++i] : null) : a.substring(7);
                if (root != null || value == null || value.isEmpty() || value.startsWith("-")) {
                    return null;
                }
                root = value;
            } else if (!command) {
                if (!a.equals("services")) {
                    return null;
                }
                command = true;
            } else if ((a.equals("-a") || a.equals("--all")) && !all) {
                all = true;
            } else if (a.equals("--json") && !json) {
                json = true;
            } else if (a.isEmpty() || a.startsWith("-")) {
                return null;
            } else {
                names.add(a);
            }
        }
        if (!command || names.size() > 1 || (all && !names.isEmpty())) {
            return null;
        }
        ctx.root = root;
        try {
            ServicesView view = new ServicesView(ctx);
            if (names.isEmpty() && !json) {
                view.listTable(all);
            } else if (names.isEmpty()) {
                view.list(all, json);
            } else {
                view.detail(names.get(0), json);
            }
            return ExitCode.OK;
        } catch (CtlException e) {
            ctx.err.println("mcpctl: " + Table.oneLine(e.getMessage()));
            return e.exitCode();
        } catch (RuntimeException e) {
            ctx.err.println("mcpctl: unexpected error: " + Table.oneLine(e.toString()));
            return ExitCode.FAILED;
        }
    }
}
