package io.mcp.ctl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** {@code Key: value} lines with the values aligned; a missing value shows as "-". */
final class KeyValues {
    private final List<String[]> lines = new ArrayList<>();

    KeyValues add(String key, Object value) {
        lines.add(new String[] {key + ":", Table.cell(value)});
        return this;
    }

    void print(PrintWriter out) {
        int width = 0;
        for (String[] l : lines) {
            width = Math.max(width, l[0].length());
        }
        for (String[] l : lines) {
            out.println(l[0] + " ".repeat(width - l[0].length() + 1) + l[1]);
        }
    }
}
