package org.modernbert.server;

import org.modernbert.core.generation.BatchScheduler;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's Prometheus metrics: request counts by endpoint and status, the scheduler's counters and
 * gauges, and latency histograms measured here (from a request's arrival to its first token; between
 * output tokens).
 */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    final Histogram timeToFirstToken = new Histogram(
            new double[]{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
    final Histogram timePerOutputToken = new Histogram(
            new double[]{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});

    /** Fixed-bucket histogram; counts are cumulative only when written out. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double seconds) {
            for (int i = 0; i < bounds.length; i++) {
                if (seconds <= bounds[i]) {
                    counts[i].increment();
                    break;
                }
            }
            sum.add(seconds);
            count.increment();
        }

        void write(StringBuilder b, String name, String help) {
            b.append("# HELP ").append(name).append(' ').append(help).append('\n');
            b.append("# TYPE ").append(name).append(" histogram\n");
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                b.append(name).append("_bucket{le=\"").append(number(bounds[i])).append("\"} ").append(cumulative).append('\n');
            }
            b.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
            b.append(name).append("_sum ").append(number(sum.sum())).append('\n');
            b.append(name).append("_count ").append(count.sum()).append('\n');
        }
    }

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + '\u0000' + status, k -> new LongAdder()).increment();
    }

    /** The text exposition format; {@code stats} null when no causal LM is served. */
    String render(BatchScheduler.Stats stats) {
        StringBuilder b = new StringBuilder(4096);
        b.append("# HELP modernbert_requests_total HTTP requests answered, by endpoint and status.\n");
        b.append("# TYPE modernbert_requests_total counter\n");
        new TreeMap<>(requests).forEach((key, n) -> {
            int cut = key.indexOf('\u0000');
            b.append("modernbert_requests_total{endpoint=\"").append(key, 0, cut).append("\",status=\"")
                    .append(key, cut + 1, key.length()).append("\"} ").append(n.sum()).append('\n');
        });
        BatchScheduler.Stats s = stats == null ? new BatchScheduler.Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) : stats;
        metric(b, "modernbert_prompt_tokens_total", "counter", "Prompt tokens of generation requests.", s.promptTokens());
        metric(b, "modernbert_generation_tokens_total", "counter", "Tokens generated.", s.generatedTokens());
        metric(b, "modernbert_requests_cancelled_total", "counter", "Generation requests cancelled (a client that left, shutdown).", s.cancelled());
        metric(b, "modernbert_requests_failed_total", "counter", "Generation requests that failed in the model.", s.failed());
        metric(b, "modernbert_queue_depth", "gauge", "Requests waiting to join the batch.", s.queuedRequests());
        metric(b, "modernbert_running_requests", "gauge", "Requests in the running batch.", s.runningRequests());
        metric(b, "modernbert_running_sequences", "gauge", "Sequences in the running batch.", s.runningSequences());
        metric(b, "modernbert_open_caches", "gauge", "KV caches currently open.", s.openCaches());
        metric(b, "modernbert_batch_size", "gauge", "Sequences in the last model step.", s.lastStepSequences());
        metric(b, "modernbert_batch_tokens", "gauge", "Tokens in the last model step.", s.lastStepTokens());
        metric(b, "modernbert_steps_total", "counter", "Model steps run.", s.steps());
        timeToFirstToken.write(b, "modernbert_time_to_first_token_seconds",
                "From a completion request's arrival to its first generated token.");
        timePerOutputToken.write(b, "modernbert_time_per_output_token_seconds",
                "Mean time between a request's output tokens after the first.");
        return b.toString();
    }

    private static void metric(StringBuilder b, String name, String type, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(value).append('\n');
    }

    private static String number(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); // 0.0005, 1, 30: no exponents
    }
}
