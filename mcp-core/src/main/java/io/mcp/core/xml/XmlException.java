package io.mcp.core.xml;

import java.nio.file.Path;

/** An XML file that could not be read or is not valid, with where and why. */
public class XmlException extends Exception {
    private final Path file;
    private final int line;
    private final String reason;

    public XmlException(Path file, int line, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    /** 1-based line, 0 when unknown. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
