package io.mcp.ctl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table in the style of OneFS's {@code isi} listings: a header, a rule, the rows
 * with columns as wide as their widest cell, and a rule after them.
 */
final class Table {
    private static final String GAP = "  ";
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = headers;
    }

    Table row(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns");
        }
        rows.add(cells);
        return this;
    }

    int size() {
        return rows.size();
    }

    /** Prints the table; the last column is not padded, so no line has trailing blanks. */
    void print(PrintWriter out) {
        int[] widths = new int[headers.length];
        for (int c = 0; c < headers.length; c++) {
            widths[c] = headers[c].length();
            for (String[] row : rows) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        int total = (headers.length - 1) * GAP.length();
        for (int w : widths) {
            total += w;
        }
        String rule = "-".repeat(total);
        out.println(line(headers, widths));
        out.println(rule);
        for (String[] row : rows) {
            out.println(line(row, widths));
        }
        out.println(rule);
    }

    private static String line(String[] cells, int[] widths) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) {
                b.append(GAP);
            }
            b.append(cells[c]);
            if (c < cells.length - 1) {
                b.append(" ".repeat(widths[c] - cells[c].length()));
            }
        }
        return b.toString().stripTrailing();
    }

    /** {@code text} cut to {@code max} characters, ending in "..." when cut. */
    static String truncate(String text, int max) {
        String line = oneLine(text);
        return line.length() <= max ? line : line.substring(0, max - 3).stripTrailing() + "...";
    }

    /** {@code text} with every run of blanks and line breaks made one space. */
    static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s+", " ");
    }

    /** {@code value} as a cell: "-" when there is none. */
    static String cell(Object value) {
        return value == null || value.toString().isEmpty() ? "-" : value.toString();
    }
}
