package io.mcp.forker;

/**
 * How a child ended, decoded from a {@code waitpid(2)} status word.
 *
 * @param code the exit code when it exited, else null
 * @param signal the signal that killed it, else null
 */
record ExitStatus(Integer code, Integer signal) {

    /**
     * Decodes the status word by the bit layout Linux (and glibc's {@code W*} macros) use: the low
     * 7 bits hold the terminating signal, 0 when the process exited; the exit code is in bits 8–15.
     * With {@code waitpid} options 0 no stopped or continued statuses arrive.
     */
    static ExitStatus decode(int status) {
        int termsig = status & 0x7f;
        return termsig == 0 ? new ExitStatus((status >> 8) & 0xff, null) : new ExitStatus(null, termsig);
    }

    boolean success() {
        return code != null && code == 0;
    }
}
