package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.ModernBertException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code modernbert bench-serve}: N concurrent clients call an OpenAI-style {@code /v1/completions}
 * (streaming, with {@code stream_options.include_usage}) for a fixed time, and it reports throughput
 * and latency percentiles. Optionally some requests are cancelled after their first chunk (the client
 * hangs up) and some are malformed (they must get a 4xx): a soak test. Exit status 1 when any request
 * got a 5xx, an unexpected status or an I/O error.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load an OpenAI-compatible completion server with concurrent streaming clients and report",
                "requests/s, generated tokens/s and percentiles of time to first token, time per output token and latency."})
final class BenchServeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> DEFAULT_PROMPTS = List.of("In the beginning", "And God said", "The LORD is my shepherd",
            "Blessed are the meek", "And it came to pass", "Let there be light", "Thus saith the LORD", "I am the");

    @Spec
    CommandSpec spec;

    @Option(names = "--url", description = "Server base URL (default: http://127.0.0.1:8080).")
    URI url = URI.create("http://127.0.0.1:8080");

    @Option(names = "--model", description = "Model id to send (default: the first of GET /v1/models).")
    String model;

    @Option(names = "--clients", description = "Concurrent clients (default: 16).")
    int clients = 16;

    @Option(names = "--duration", paramLabel = "S", description = "Seconds of load after the warm-up (default: 30).")
    double duration = 30;

    @Option(names = "--warmup", paramLabel = "S", description = "Seconds of load not counted (default: 3).")
    double warmup = 3;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt (repeatable; clients pick at random; default: a few verses).")
    List<String> prompts;

    @Option(names = "--max-tokens", paramLabel = "N", description = "max_tokens per request (default: 64).")
    int maxTokens = 64;

    @Option(names = "--temperature", description = "temperature (default: 0, greedy).")
    double temperature = 0;

    @Option(names = "--api-key", description = "Bearer key, when the server wants one.")
    String apiKey;

    @Option(names = "--cancel-fraction", paramLabel = "F", description = "Share of requests the client abandons after the first chunk (default: 0).")
    double cancelFraction;

    @Option(names = "--malformed-fraction", paramLabel = "F", description = "Share of requests sent malformed; each must get a 4xx (default: 0).")
    double malformedFraction;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    /** What one finished request measured. */
    private record Sample(long endNanos, double ttftSeconds, double totalSeconds, int tokens) {
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || duration <= 0 || warmup < 0 || maxTokens < 1) {
            throw new ModernBertException("--clients and --max-tokens must be at least 1, --duration above 0 and --warmup 0 or more");
        }
        if (cancelFraction < 0 || malformedFraction < 0 || cancelFraction + malformedFraction > 1) {
            throw new ModernBertException("--cancel-fraction and --malformed-fraction are shares between 0 and 1 (together at most 1)");
        }
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
            throw new ModernBertException("--url must be http://HOST:PORT (the server speaks plain HTTP), got " + url);
        }
        List<String> texts = prompts == null || prompts.isEmpty() ? DEFAULT_PROMPTS : prompts;
        String modelId = model != null ? model : firstModel();
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        AtomicLong cancelledRequests = new AtomicLong();
        AtomicLong malformedRefused = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (duration * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try (BenchConnection connection = new BenchConnection(url)) {
                    while (System.nanoTime() < end) {
                        double roll = random.nextDouble();
                        try {
                            if (roll < malformedFraction) {
                                int status = malformed(connection, random.nextInt(3));
                                if (status >= 400 && status < 500) {
                                    malformedRefused.incrementAndGet();
                                } else {
                                    errors.add("malformed request answered " + status);
                                }
                            } else {
                                boolean abandon = roll < malformedFraction + cancelFraction;
                                String prompt = texts.get(random.nextInt(texts.size()));
                                Sample s = complete(connection, modelId, prompt, abandon, errors);
                                if (abandon) {
                                    cancelledRequests.incrementAndGet();
                                } else if (s != null && s.endNanos >= measureFrom && s.endNanos <= end) {
                                    // counted when it completes inside the window (whenever it began): at steady load the
                                    // tokens completed per second are the throughput, long requests included
                                    samples.add(s);
                                }
                            }
                        } catch (IOException e) {
                            errors.add("I/O error: " + e.getMessage());
                            connection.close();
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        report(new ArrayList<>(samples), cancelledRequests.get(), malformedRefused.get(), new ArrayList<>(errors));
        return errors.isEmpty() ? 0 : 1;
    }

    private String firstModel() throws IOException {
        try (BenchConnection connection = new BenchConnection(url)) {
            BenchConnection.Body r = connection.send("GET", "/v1/models", apiKey, null);
            String body = r.readAll();
            if (r.status != 200) {
                throw new ModernBertException("GET " + url.resolve("/v1/models") + " answered " + r.status + ": " + body);
            }
            JsonNode data = JSON.readTree(body).path("data");
            if (!data.isArray() || data.isEmpty()) {
                throw new ModernBertException("GET /v1/models listed no model");
            }
            return data.get(0).path("id").asText();
        } catch (IOException e) {
            throw new ModernBertException("cannot reach " + url + ": " + e.getMessage());
        }
    }

    /** One streamed completion: time to the first chunk, total time and completion tokens (from the usage chunk). */
    private Sample complete(BenchConnection connection, String modelId, String prompt, boolean abandon, ConcurrentLinkedQueue<String> errors)
            throws IOException {
        ObjectNode body = JSON.createObjectNode().put("model", modelId).put("prompt", prompt).put("max_tokens", maxTokens)
                .put("temperature", temperature).put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        long t0 = System.nanoTime();
        BenchConnection.Body r = connection.send("POST", "/v1/completions", apiKey, JSON.writeValueAsBytes(body));
        if (r.status != 200) {
            errors.add("completion answered " + r.status + ": " + r.readAll().strip());
            return null;
        }
        long first = 0;
        int tokens = -1;
        for (String line = r.readLine(); line != null; line = r.readLine()) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                continue; // read to the end of the body, so the connection can carry the next request
            }
            if (first == 0) {
                first = System.nanoTime();
                if (abandon) {
                    connection.close(); // hang up: the server cancels the request
                    return null;
                }
            }
            // only the usage chunk and errors matter here: parsing every token's chunk took as much of
            // the shared cores as the server's own work for them
            if (!data.contains("\"usage\"") && !data.contains("\"error\"")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) {
                errors.add("error in stream: " + chunk.get("error"));
                return null;
            }
            if (chunk.path("usage").has("completion_tokens")) {
                tokens = chunk.path("usage").path("completion_tokens").asInt();
            }
        }
        long t1 = System.nanoTime();
        if (tokens < 0) {
            errors.add("the stream had no usage chunk (stream_options.include_usage)");
            return null;
        }
        return new Sample(t1, (first - t0) / 1e9, (t1 - t0) / 1e9, tokens);
    }

    /** A request that must be refused: not JSON, a wrong field type, or a missing prompt. */
    private int malformed(BenchConnection connection, int kind) throws IOException {
        String body = switch (kind) {
            case 0 -> "{\"model\": \"x\", \"prompt\": ";
            case 1 -> "{\"prompt\": \"In the beginning\", \"max_tokens\": \"many\"}";
            default -> "{\"max_tokens\": 4}";
        };
        BenchConnection.Body r = connection.send("POST", "/v1/completions", apiKey, body.getBytes(StandardCharsets.UTF_8));
        r.readAll();
        return r.status;
    }

    private void report(List<Sample> samples, long cancelledRequests, long malformedRefused, List<String> errors) {
        List<Double> ttft = new ArrayList<>();
        List<Double> tpot = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        long tokens = 0;
        for (Sample s : samples) {
            ttft.add(s.ttftSeconds);
            total.add(s.totalSeconds);
            tokens += s.tokens;
            if (s.tokens > 1) {
                tpot.add((s.totalSeconds - s.ttftSeconds) / (s.tokens - 1));
            }
        }
        double requestsPerSecond = samples.size() / duration;
        double tokensPerSecond = tokens / duration;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("clients", clients).put("duration_s", duration).put("requests", samples.size())
                    .put("requests_per_s", requestsPerSecond).put("generated_tokens", tokens).put("generated_tokens_per_s", tokensPerSecond)
                    .put("cancelled", cancelledRequests).put("malformed_refused", malformedRefused).put("errors", errors.size());
            putPercentiles(o, "ttft_s", ttft);
            putPercentiles(o, "tpot_s", tpot);
            putPercentiles(o, "latency_s", total);
            o.putPOJO("first_errors", errors.stream().limit(5).toList());
            out.println(o);
        } else {
            out.printf(Locale.ROOT, "%d clients, %.0f s: %d requests (%.2f/s), %d generated tokens (%.1f/s); %d cancelled, %d malformed refused, %d errors%n",
                    clients, duration, samples.size(), requestsPerSecond, tokens, tokensPerSecond, cancelledRequests, malformedRefused, errors.size());
            out.println("time to first token  " + percentiles(ttft));
            out.println("time per output token " + percentiles(tpot));
            out.println("latency              " + percentiles(total));
            errors.stream().limit(5).forEach(e -> out.println("error: " + e));
        }
        out.flush();
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static String percentiles(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms", percentile(sorted, 50) * 1e3,
                percentile(sorted, 90) * 1e3, percentile(sorted, 99) * 1e3);
    }

    private static void putPercentiles(ObjectNode o, String name, List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        ObjectNode p = o.putObject(name);
        for (int q : new int[]{50, 90, 99}) {
            double v = percentile(sorted, q);
            if (Double.isFinite(v)) {
                p.put("p" + q, v);
            } else {
                p.putNull("p" + q);
            }
        }
    }
}
