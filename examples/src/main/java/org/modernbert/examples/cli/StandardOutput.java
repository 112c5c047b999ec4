package org.modernbert.examples.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * Standard output that remembers why a write failed: {@link PrintStream} swallows the IOException and only
 * answers {@link PrintStream#checkError()}, but a closed pipe ({@code | head -1}, quiet) and a full disk
 * ({@code > /dev/full}, an error) must be told apart.
 */
final class StandardOutput extends OutputStream {
    private static volatile IOException lastError;
    private final OutputStream out;

    StandardOutput(OutputStream out) {
        this.out = out;
    }

    /** Makes {@code System.out} one of these over file descriptor 1, as the JVM's own is (buffered, autoflush). */
    static void install() {
        String encoding = System.getProperty("stdout.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding) : Charset.defaultCharset();
        System.setOut(new PrintStream(new BufferedOutputStream(new StandardOutput(new FileOutputStream(FileDescriptor.out)), 8192),
                true, charset));
    }

    /** Why the last write to a StandardOutput failed, or null. */
    static IOException lastError() {
        return lastError;
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            lastError = e;
            throw e;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            lastError = e;
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            lastError = e;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
