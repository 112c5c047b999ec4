package org.modernbert.examples.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection that speaks just what {@code bench-serve} needs: a request with
 * a body, a status line, {@code Content-Length} or chunked bodies read line by line. The load generator
 * shares the machine's cores with the server it measures, and the JDK's {@code HttpClient} spent about
 * 0.7 of a core on 16 streaming clients (three thread hand-offs per event); this reads each stream on its
 * client's own virtual thread.
 */
final class BenchConnection implements Closeable {
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 300_000;

    private final URI base;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private Body open;

    BenchConnection(URI base) {
        if (!"http".equalsIgnoreCase(base.getScheme())) {
            throw new IllegalArgumentException("bench-serve speaks plain http://, got " + base);
        }
        this.base = base;
    }

    /** Sends a request and reads the response's status line and headers; the body follows from {@link Body}. */
    Body send(String method, String path, String apiKey, byte[] body) throws IOException {
        if (open != null && !open.drained()) {
            close(); // the previous body was left half read: that connection cannot carry another request
        }
        if (socket == null) {
            connect();
        }
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(base.getHost()).append(':').append(port()).append("\r\n")
                .append("Accept: */*\r\n");
        if (apiKey != null) {
            head.append("Authorization: Bearer ").append(apiKey).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        try {
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            String status = readLine(in);
            if (status == null) {
                throw new EOFException("the server closed the connection before answering");
            }
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + status);
            }
            int code = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            boolean closeAfter = false;
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> closeAfter = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            open = new Body(code, chunked, chunked ? -1 : length, closeAfter);
            return open;
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    private int port() {
        return base.getPort() < 0 ? 80 : base.getPort();
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(base.getHost(), port()), CONNECT_TIMEOUT_MS);
        s.setSoTimeout(READ_TIMEOUT_MS);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
        out = s.getOutputStream();
    }

    /** Hangs up (a streaming server sees its client leave); the next request opens a new connection. */
    @Override
    public void close() {
        open = null;
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }

    /** A line ending in LF (CR dropped), ISO-8859-1 (headers); null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder(64);
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return c < 0 && b.isEmpty() ? null : b.toString();
    }

    /** A response's status and body. Read it to its end to keep the connection for the next request. */
    final class Body {
        final int status;
        private final boolean chunked;
        private final boolean closeAfter;
        /** Bytes left in the current chunk (chunked) or the body; -1: until the connection closes. */
        private long left;
        private boolean done;

        private Body(int status, boolean chunked, long length, boolean closeAfter) {
            this.status = status;
            this.chunked = chunked;
            this.closeAfter = closeAfter;
            this.left = chunked ? 0 : length;
            this.done = length == 0;
            finishIfDone();
        }

        boolean drained() {
            return done;
        }

        /** The next line of the body (UTF-8, line end dropped), or null at its end. */
        String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            int c;
            while ((c = read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    line.write(c);
                }
            }
            return c < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
        }

        /** The rest of the body as text. */
        String readAll() throws IOException {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int c = read(); c >= 0; c = read()) {
                all.write(c);
            }
            return all.toString(StandardCharsets.UTF_8);
        }

        private int read() throws IOException {
            if (done) {
                return -1;
            }
            if (chunked && left == 0) {
                String size = BenchConnection.readLine(in);
                if (size == null) {
                    throw new EOFException("the server closed the connection inside a chunked body");
                }
                int semicolon = size.indexOf(';');
                left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (left == 0) {
                    for (String trailer = BenchConnection.readLine(in); trailer != null && !trailer.isEmpty(); ) {
                        trailer = BenchConnection.readLine(in);
                    }
                    done = true;
                    finishIfDone();
                    return -1;
                }
            }
            int c = in.read();
            if (c < 0) {
                if (left > 0 || chunked) {
                    throw new EOFException("the server closed the connection inside a response body");
                }
                done = true; // a body delimited by the connection's end
                BenchConnection.this.close();
                return -1;
            }
            if (left > 0 && --left == 0 && chunked) {
                BenchConnection.readLine(in); // the CRLF after a chunk's data
            } else if (left == 0 && !chunked) {
                done = true;
                finishIfDone();
            }
            return c;
        }

        private void finishIfDone() {
            if (done && closeAfter) {
                BenchConnection.this.close();
            }
        }
    }
}
