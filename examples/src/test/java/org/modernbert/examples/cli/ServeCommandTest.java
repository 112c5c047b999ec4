package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;
import org.modernbert.server.ModernBertServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./modernbert serve: one line when serving, one-line errors for bad flags, a clean stop. */
class ServeCommandTest {
    static final String KJV = GenerationEndToEndTest.KJV.toString();

    @Test
    void servesUntilStoppedAndPrintsWhere() throws Exception {
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.of("serve", "--model", KJV, "--backend", "cpu",
                "--port", "0", "--served-model-name", "kjv", "--max-batch", "4", "--max-queue", "8"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ModernBertServer server;
        while ((server = ServeCommand.RUNNING.get()) == null) {
            assertTrue(System.nanoTime() < deadline && !run.isDone(), () -> "the server did not start: " + (run.isDone() ? run.join() : ""));
            Thread.sleep(10);
        }
        int port = server.address().getPort();
        String models = call(port, "/v1/models", null);
        assertTrue(models.startsWith("200 ") && models.contains("\"id\":\"kjv\""), models);
        String completion = call(port, "/v1/completions", "{\"prompt\": \"In the beginning\", \"max_tokens\": 4, \"temperature\": 0}");
        assertTrue(completion.startsWith("200 "), completion);
        assertTrue(server.stop(Duration.ofSeconds(5)));
        CliRun done = run.get();
        assertEquals(0, done.exitCode(), done.err());
        assertEquals("serving kjv on http://127.0.0.1:" + port + "\n", done.out());
    }

    /** "STATUS BODY" of a GET (body null) or a POST. */
    private static String call(int port, String path, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestMethod("POST");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        int status = c.getResponseCode();
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            return status + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void badFlagsAreOneLineErrors() {
        CliRun batch = CliRun.of("serve", "--model", KJV, "--max-batch", "0");
        assertEquals(1, batch.exitCode());
        assertEquals("error: --max-batch must be at least 1, got 0\n", batch.err());
        CliRun port = CliRun.of("serve", "--model", KJV, "--port", "70000");
        assertEquals(1, port.exitCode());
        assertTrue(port.err().startsWith("error: --port must be in [0, 65535]"), port.err());
        CliRun folder = CliRun.of("serve", "--model", "no/such/folder");
        assertEquals(1, folder.exitCode());
        assertTrue(folder.err().startsWith("error: model folder no/such/folder does not exist"), folder.err());
    }
}
