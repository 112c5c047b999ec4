package org.modernbert.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * What {@code modernbert bench} measured: the model's figures (spreads over the repetitions), the machine's
 * peaks, and the ratios between them (computed from the medians).
 *
 * @param weightBytesPerToken weight bytes one decoded token reads ({@link ModelCosts#WEIGHT_BYTES_RULE})
 * @param prefillFlops        FLOPs of one prefill ({@link ModelCosts#FLOP_COUNT_RULE})
 * @param peakHeapBytes       the heap pools' peak usage summed, from just before the model load to the end of its runs
 * @param peakRssBytes        VmHWM at the end of the model runs (before the machine peaks allocate); null without /proc
 */
public record BenchReport(
        String model, String backend, String device, int threads, String weightFormat, boolean tiedEmbeddings,
        int promptTokens, int newTokens, int decodePromptTokens, int batch, int repetitions, int warmup,
        double prefillFlops, Spread prefillTokS, Spread prefillGflopS, Spread ttftMs,
        Spread decodeTokS, Spread batchTokS,
        long weightBytesPerToken, double bandwidthGbS, long bandwidthBufferBytes, double fmaPeakGflopS,
        long peakHeapBytes, long heapCommittedBytes, Long peakRssBytes, Long rssBytes,
        String cpuName, int cores, int vectorBits) {

    public static final String TTFT_RULE = "the prefill step (Head.LAST: logits of the last position) plus the argmax "
            + "over those logits that picks the first token, on a fresh cache";

    /** Tokens/s of batch-1 decode if every decoded token only had to read the weights at the measured bandwidth. */
    public double decodeRooflineTokS() {
        return bandwidthGbS * 1e9 / weightBytesPerToken;
    }

    public double decodeRooflineFraction() {
        return decodeTokS.median() / decodeRooflineTokS();
    }

    public double prefillFmaFraction() {
        return prefillGflopS.median() / fmaPeakGflopS;
    }

    public double batchSpeedup() {
        return batchTokS.median() / decodeTokS.median();
    }

    public ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode o = mapper.createObjectNode();
        o.put("model", model);
        o.put("backend", backend);
        o.put("device", device);
        o.put("threads", threads);
        o.put("weight_format", weightFormat);
        o.put("tied_embeddings", tiedEmbeddings);
        o.put("prompt_tokens", promptTokens);
        o.put("new_tokens", newTokens);
        o.put("decode_prompt_tokens", decodePromptTokens);
        o.put("repetitions", repetitions);
        o.put("warmup", warmup);
        spread(o, "prefill_tok_s", prefillTokS);
        o.put("prefill_flop", prefillFlops);
        spread(o, "prefill_gflop_s", prefillGflopS);
        spread(o, "ttft_ms", ttftMs);
        o.put("ttft_rule", TTFT_RULE);
        spread(o, "decode_tok_s", decodeTokS);
        o.put("decode_batch", batch);
        spread(o, "decode_batch_tok_s", batchTokS);
        o.put("batch_speedup", batchSpeedup());
        o.put("weight_bytes_per_token", weightBytesPerToken);
        o.put("weight_bytes_rule", ModelCosts.WEIGHT_BYTES_RULE);
        o.put("bandwidth_gb_s", bandwidthGbS);
        o.put("bandwidth_buffer_bytes", bandwidthBufferBytes);
        o.put("decode_roofline_tok_s", decodeRooflineTokS());
        o.put("decode_roofline_fraction", decodeRooflineFraction());
        o.put("fma_peak_gflop_s", fmaPeakGflopS);
        o.put("prefill_fma_fraction", prefillFmaFraction());
        o.put("peak_heap_bytes", peakHeapBytes);
        o.put("heap_committed_bytes", heapCommittedBytes);
        o.put("peak_rss_bytes", peakRssBytes);
        o.put("rss_bytes", rssBytes);
        ObjectNode machine = o.putObject("machine");
        machine.put("cpu", cpuName);
        machine.put("cores", cores);
        machine.put("vector_bits", vectorBits);
        o.put("flop_count_rule", ModelCosts.FLOP_COUNT_RULE);
        return o;
    }

    private static void spread(ObjectNode o, String name, Spread s) {
        ObjectNode n = o.putObject(name);
        n.put("median", s.median());
        n.put("min", s.min());
        n.put("max", s.max());
    }

    /** A short aligned table for people: one line per figure, median with min-max. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s on %s%s, %d threads, %s weights; %s (%d cores, %d-bit vectors)%n", model, backend,
                device == null ? "" : " (" + device + ")", threads, weightFormat, cpuName, cores, vectorBits));
        b.append(String.format(Locale.ROOT, "%d repetitions after %d warm-up; median (min - max)%n", repetitions, warmup));
        line(b, "prefill (" + promptTokens + " tokens)", prefillTokS, "tok/s");
        line(b, "prefill compute", prefillGflopS, "GFLOP/s");
        line(b, "time to first token", ttftMs, "ms");
        line(b, "decode, batch 1", decodeTokS, "tok/s");
        line(b, "decode, batch " + batch, batchTokS, "tok/s");
        fig(b, "batch speedup", batchSpeedup(), "x");
        fig(b, "weight bytes per token", weightBytesPerToken / 1e6, "MB");
        fig(b, "read bandwidth", bandwidthGbS, "GB/s");
        fig(b, "decode roofline", decodeRooflineTokS(), "tok/s");
        fig(b, "decode / roofline", decodeRooflineFraction(), "");
        fig(b, "FMA peak", fmaPeakGflopS, "GFLOP/s");
        fig(b, "prefill / FMA peak", prefillFmaFraction(), "");
        fig(b, "peak heap", peakHeapBytes / 1e6, "MB");
        if (peakRssBytes != null) {
            fig(b, "peak resident (VmHWM)", peakRssBytes / 1e6, "MB");
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String name, Spread s, String unit) {
        b.append(String.format(Locale.ROOT, "%-24s %12s %-8s (%s - %s)%n", name, number(s.median()), unit, number(s.min()),
                number(s.max())));
    }

    private static void fig(StringBuilder b, String name, double value, String unit) {
        b.append(String.format(Locale.ROOT, "%-24s %12s %s", name, number(value), unit).stripTrailing()).append(System.lineSeparator());
    }

    /** Three or more significant digits, whatever the magnitude. */
    static String number(double v) {
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (a >= 0.001 || a == 0) {
            return String.format(Locale.ROOT, "%.4f", v);
        }
        return String.format(Locale.ROOT, "%.2e", v);
    }
}
