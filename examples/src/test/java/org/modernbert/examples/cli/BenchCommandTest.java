package org.modernbert.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code modernbert bench} on the bundled model: every figure present and sane (no timed assertions), one-line errors. */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KJV = GenerationEndToEndTest.KJV.toString();
    private static final List<String> SPREADS = List.of("prefill_tok_s", "prefill_gflop_s", "ttft_ms", "decode_tok_s",
            "decode_batch_tok_s");
    private static final List<String> POSITIVE = List.of("threads", "prompt_tokens", "new_tokens", "decode_batch", "repetitions",
            "prefill_flop", "batch_speedup", "weight_bytes_per_token", "bandwidth_gb_s", "bandwidth_buffer_bytes",
            "decode_roofline_tok_s", "fma_peak_gflop_s", "peak_heap_bytes", "heap_committed_bytes");
    private static final List<String> FRACTIONS = List.of("decode_roofline_fraction", "prefill_fma_fraction");

    @TempDir
    Path dir;

    @Test
    void jsonHasEveryFigure() throws Exception {
        CliRun run = CliRun.of("bench", "--model", KJV, "--prompt-tokens", "48", "--new-tokens", "4", "--batch", "3",
                "--repetitions", "2", "--warmup", "0", "--threads", "1", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = JSON.readTree(run.out());
        assertTrue(o.isObject(), run.out());
        assertEquals(KJV, o.get("model").asText());
        assertEquals("cpu", o.get("backend").asText());
        assertEquals(1, o.get("threads").asInt());
        assertEquals("bf16", o.get("weight_format").asText());
        assertEquals(48, o.get("prompt_tokens").asInt());
        assertEquals(3, o.get("decode_batch").asInt());
        for (String key : SPREADS) {
            JsonNode s = o.get(key);
            assertTrue(s != null && s.isObject(), key + " in " + run.out());
            double min = s.get("min").asDouble();
            double median = s.get("median").asDouble();
            double max = s.get("max").asDouble();
            assertTrue(min > 0 && min <= median && median <= max, key + ": " + s);
        }
        for (String key : POSITIVE) {
            assertTrue(o.has(key) && o.get(key).isNumber() && o.get(key).asDouble() > 0, key + " in " + run.out());
        }
        for (String key : FRACTIONS) {
            double f = o.get(key).asDouble();
            assertTrue(f > 0 && f < 10, key + " = " + f);
        }
        // the derived figures are the medians' ratios
        assertEquals(o.get("bandwidth_gb_s").asDouble() * 1e9 / o.get("weight_bytes_per_token").asDouble(),
                o.get("decode_roofline_tok_s").asDouble(), 1e-6 * o.get("decode_roofline_tok_s").asDouble());
        assertEquals(o.get("decode_batch_tok_s").get("median").asDouble() / o.get("decode_tok_s").get("median").asDouble(),
                o.get("batch_speedup").asDouble(), 1e-9);
        assertTrue(o.get("ttft_ms").get("median").asDouble() * 1e-3 >= 48 / o.get("prefill_tok_s").get("max").asDouble() * 0.999,
                "the first token comes after the prefill: " + o);
        if (Files.exists(Path.of("/proc/self/status"))) {
            assertTrue(o.get("peak_rss_bytes").asLong() >= o.get("rss_bytes").asLong() && o.get("rss_bytes").asLong() > 0, o.toString());
        }
        assertTrue(o.get("machine").get("cores").asInt() > 0 && !o.get("machine").get("cpu").asText().isBlank());
        assertTrue(o.get("flop_count_rule").asText().contains("multiply-add"));
        assertTrue(o.get("weight_bytes_rule").asText().contains("tied"));
    }

    @Test
    void tableHasOneLinePerFigure() {
        CliRun run = CliRun.of("bench", "--model", KJV, "--prompt-tokens", "16", "--new-tokens", "2", "--batch", "2",
                "--repetitions", "1", "--warmup", "0", "--threads", "1", "--quantize", "q8_0");
        assertEquals(0, run.exitCode(), run.err());
        for (String figure : List.of("prefill (16 tokens)", "time to first token", "decode, batch 1", "decode, batch 2",
                "weight bytes per token", "read bandwidth", "decode roofline", "FMA peak", "prefill / FMA peak")) {
            assertTrue(run.out().lines().anyMatch(l -> l.startsWith(figure)), figure + " in\n" + run.out());
        }
        assertTrue(run.out().contains("q8_0 weights"), run.out());
    }

    @Test
    void badFlagsAreOneLine() {
        assertError("--prompt-tokens 1025 is beyond the model's max_position_embeddings (1024): expected 1 to 1024",
                "--model", KJV, "--prompt-tokens", "1025");
        assertError("--new-tokens 1009 after the 16-token decode prompt is beyond the model's max_position_embeddings (1024): expected 1 to 1008",
                "--model", KJV, "--new-tokens", "1009");
        assertError("--batch must be at least 1, got 0", "--model", KJV, "--batch", "0");
        assertError("--prompt-tokens must be at least 1, got 0", "--model", KJV, "--prompt-tokens", "0");
        assertError("--new-tokens must be at least 1, got -3", "--model", KJV, "--new-tokens", "-3");
        assertError("--repetitions must be at least 1, got 0", "--model", KJV, "--repetitions", "0");
        assertError("--warmup must be at least 0, got -1", "--model", KJV, "--warmup", "-1");
        assertError("--threads must be 0 (one per core) or more, got -2", "--model", KJV, "--threads", "-2");
        assertError("--quantize q4 is not a weight format", "--model", KJV, "--quantize", "q4");
        assertError("model folder " + dir.resolve("none") + " does not exist", "--model", dir.resolve("none").toString());
        assertError("model folder " + dir + " is not a Hugging Face model folder: it has no config.json", "--model", dir.toString());
        assertError("Missing required option: '--model=DIR'");
        assertError("Invalid value for option '--batch'", "--model", KJV, "--batch", "many");
    }

    private static void assertError(String expected, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        CliRun run = CliRun.of(all);
        assertEquals(1, run.exitCode(), String.join(" ", all) + ": " + run.err());
        String error = PipedInputTest.errorLine(run);
        assertTrue(error.contains(expected), "expected '" + expected + "' in " + error);
        assertTrue(run.out().isEmpty(), run.out());
    }
}
