package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** bench-serve's HTTP/1.1 connection against a scripted loopback server: body framings and keep-alive. */
class BenchConnectionTest {

    /** Answers each request on a connection with the next canned response; records request lines and connections. */
    private static final class ScriptedServer implements AutoCloseable {
        final ServerSocket socket;
        final List<String> requestLines = new CopyOnWriteArrayList<>();
        volatile int connections;

        ScriptedServer(List<String> responses) throws IOException {
            socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                int next = 0;
                while (next < responses.size()) {
                    try (Socket s = socket.accept()) {
                        connections++;
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                        OutputStream out = s.getOutputStream();
                        while (next < responses.size()) {
                            String line = in.readLine();
                            if (line == null) {
                                break;
                            }
                            requestLines.add(line);
                            int length = 0;
                            for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                                if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                                    length = Integer.parseInt(h.substring(15).trim());
                                }
                            }
                            in.skip(length); // ISO-8859-1: one char per byte
                            String response = responses.get(next++);
                            out.write(response.getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            if (response.contains("Connection: close")) {
                                break;
                            }
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One chunk of a chunked body: its UTF-8 length in hex, an optional extension, the data. */
    private static String chunk(String data, String extension) {
        return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length) + extension + "\r\n" + data + "\r\n";
    }

    private static List<String> lines(BenchConnection.Body body) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String l = body.readLine(); l != null; l = body.readLine()) {
            lines.add(l);
        }
        return lines;
    }

    @Test
    void readsChunkedEventsAndKeepsTheConnectionForTheNextRequest() throws IOException {
        String sse = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
                + chunk("data: {\"a\":\"é\"}\n", "") + chunk("\ndata: [DO", ";ext=1") + chunk("NE]\n", "") + "0\r\n\r\n";
        String json = "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\n{\"error\":1}";
        try (ScriptedServer server = new ScriptedServer(List.of(sse, json));
             BenchConnection c = new BenchConnection(server.uri())) {
            BenchConnection.Body first = c.send("POST", "/v1/completions", "key", "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals(200, first.status);
            assertEquals(List.of("data: {\"a\":\"é\"}", "", "data: [DONE]"), lines(first));
            assertNull(first.readLine());
            BenchConnection.Body second = c.send("POST", "/v1/completions", null, "{".getBytes(StandardCharsets.UTF_8));
            assertEquals(400, second.status);
            assertEquals("{\"error\":1}", second.readAll());
            assertEquals(1, server.connections, "both requests went over one connection");
            assertEquals(List.of("POST /v1/completions HTTP/1.1", "POST /v1/completions HTTP/1.1"), server.requestLines);
        }
    }

    @Test
    void opensANewConnectionAfterAHalfReadBodyOrConnectionClose() throws IOException {
        String stream = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata:\n\r\n6\r\ndata:\n\r\n0\r\n\r\n";
        String closing = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
        String last = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        try (ScriptedServer server = new ScriptedServer(List.of(stream, closing, last));
             BenchConnection c = new BenchConnection(server.uri())) {
            BenchConnection.Body abandoned = c.send("GET", "/a", null, null);
            assertEquals("data:", abandoned.readLine()); // the client hangs up here, mid-stream
            BenchConnection.Body closed = c.send("GET", "/b", null, null);
            assertEquals("ok", closed.readAll());
            BenchConnection.Body empty = c.send("GET", "/c", null, null);
            assertEquals(200, empty.status);
            assertNull(empty.readLine());
            assertEquals(3, server.connections);
        }
    }

    @Test
    void aServerThatHangsUpMidBodyIsAnIoError() throws IOException {
        String cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n10\r\ndata: par";
        try (ScriptedServer server = new ScriptedServer(List.of(cut));
             BenchConnection c = new BenchConnection(server.uri())) {
            BenchConnection.Body body = c.send("GET", "/", null, null);
            assertThrows(IOException.class, () -> lines(body));
        }
    }
}
