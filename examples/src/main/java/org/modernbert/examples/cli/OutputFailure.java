package org.modernbert.examples.cli;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writing the output failed (disk full, {@code /dev/full}, a closed pipe, an I/O error): the message is the
 * one line the user sees. A closed pipe on standard output ({@code | head -1}) is not an error to report:
 * {@link #quiet()} says so, and the command line then ends quietly with 141, as a process killed by SIGPIPE does.
 */
final class OutputFailure extends IOException {
    private final boolean quiet;

    private OutputFailure(String message, boolean quiet, Throwable cause) {
        super(message, cause);
        this.quiet = quiet;
    }

    static OutputFailure of(Path output, IOException cause) {
        return new OutputFailure("cannot write output " + output + ": " + reason(cause), false, cause);
    }

    /** Standard output failed; {@code cause} is why, when known. */
    static OutputFailure stdout(IOException cause) {
        if (isBrokenPipe(cause)) {
            return new OutputFailure("standard output was closed by its reader", true, cause);
        }
        return new OutputFailure("cannot write to standard output" + (cause == null ? "" : ": " + reason(cause)), false, cause);
    }

    /**
     * Throws when standard output has failed since it was last checked (a {@link java.io.PrintWriter}
     * keeps such errors to itself): commands that answer line by line call it after each answer, so a
     * reader that left stops the run at once instead of after all the input.
     */
    static void checkStandardOutput(java.io.PrintWriter out) throws OutputFailure {
        // picocli's writer sits on an OutputStreamWriter over System.out, whose PrintStream keeps the error
        if (out.checkError() | System.out.checkError()) {
            throw stdout(StandardOutput.lastError());
        }
    }

    /** A closed pipe: the reader has all it wanted, so there is nothing to tell. */
    boolean quiet() {
        return quiet;
    }

    static boolean isBrokenPipe(IOException e) {
        return e != null && e.getMessage() != null && e.getMessage().contains("Broken pipe");
    }

    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
