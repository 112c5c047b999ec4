package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Inputs read from standard input, one per line (UTF-8; {@code \n} or {@code \r\n} ends a line, and
 * the line ends are not part of the input). A blank line is an input like any other: the
 * empty text, which gives the same answer as an empty argument ({@code generate ""}).
 */
final class InputLines {
    /** Whether standard input is an interactive terminal; tests replace it. */
    static volatile BooleanSupplier interactive = InputLines::stdinIsTerminal;

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int lineNumber;

    private InputLines(InputStream in) {
        this.in = in;
    }

    /**
     * Standard input as lines. When it is a terminal, first prints a one-line hint to {@code err}, so
     * that a command waiting for input does not look like a hang.
     */
    static InputLines fromStdin(PrintWriter err, String what) {
        if (interactive.getAsBoolean()) {
            err.println("reading " + what + " from standard input, one per line; end with Ctrl-D"
                    + " (or give them on the command line)");
            err.flush();
        }
        return new InputLines(new BufferedInputStream(System.in));
    }

    /**
     * The next line, or null at the end of the input. Bytes are split at {@code \n} before decoding,
     * so an invalid line is reported with its own number, after the lines before it were answered.
     */
    String next() {
        line.reset();
        int b;
        try {
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
        } catch (IOException e) {
            throw new ModernBertException("cannot read standard input after line " + lineNumber + ": " + e.getMessage(), e);
        }
        if (b < 0 && line.size() == 0) {
            return null; // the end (a last line without \n still counts as a line)
        }
        lineNumber++;
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        int offset = lineNumber == 1 && length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
                && (bytes[2] & 0xff) == 0xBF ? 3 : 0; // a UTF-8 byte order mark is not part of the text
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, offset, length - offset)).toString();
        } catch (CharacterCodingException e) {
            throw new ModernBertException("standard input line " + lineNumber + " is not valid UTF-8");
        }
    }

    /** Lines read so far. */
    int lineNumber() {
        return lineNumber;
    }

    /**
     * One answer per line: line breaks and tabs inside a text are written as the escapes {@code \n},
     * {@code \r} and {@code \t} (the JSON output keeps the exact text).
     */
    static String oneLine(String text) {
        if (text.indexOf('\n') < 0 && text.indexOf('\r') < 0 && text.indexOf('\t') < 0) {
            return text;
        }
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    }

    private static boolean stdinIsTerminal() {
        Console c = System.console();
        if (c != null && c.isTerminal()) {
            return true;
        }
        // System.console() is null when stdout is redirected even though stdin is a terminal
        // (./modernbert generate > out.txt): on Linux, look at what file descriptor 0 is.
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
