package org.modernbert.examples.bench;

import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.core.ModernBert;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;

/**
 * One {@code modernbert bench} run: loads the model as {@code generate} does, times it ({@link ModelBench}),
 * reads the memory figures, closes it, then measures the machine's peaks ({@link MachinePeaks}) on as many
 * threads as the backend uses, so that their buffer counts in neither the model's heap nor its resident peak.
 */
public final class Bench {
    private static final int BANDWIDTH_PASSES = 5;
    private static final int BANDWIDTH_ROUNDS = 4;
    private static final int FMA_PASSES = 3;

    private Bench() {
    }

    public static BenchReport run(Path folder, String backend, BackendOptions options, ModelBench.Settings s) {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        String backendName;
        ModelBench.Timings t;
        double flops;
        long bytesPerToken;
        String format;
        boolean tied;
        try (CausalLanguageModel lm = ModernBert.loadCausalLM(folder, backend, options)) {
            backendName = lm.backendName();
            ModelExecutor executor = lm.executor();
            ModelBench.check(executor.limits(), backendName, s);
            ModelWeights w = executor.weights();
            flops = ModelCosts.prefillFlops(w.config(), ModelCosts.hasHeadDense(w), s.promptTokens());
            bytesPerToken = ModelCosts.weightBytesPerToken(w);
            format = ModelCosts.weightFormat(w);
            tied = ModelCosts.tiedEmbeddings(w);
            t = new ModelBench(executor, s).run();
        }
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        long heapCommitted = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
        Long peakRss = SystemInfo.peakResidentBytes();
        Long rss = SystemInfo.residentBytes();

        int threads = options.effectiveThreads();
        long buffer = MachinePeaks.bandwidthBufferBytes();
        // several rounds: a roofline from a low reading would flatter the decode figure
        double bandwidth = MachinePeaks.readBandwidth(threads, buffer, BANDWIDTH_PASSES, BANDWIDTH_ROUNDS);
        double fma = MachinePeaks.fmaPeak(threads, FMA_PASSES);

        int batch = s.batch();
        return new BenchReport(folder.toString(), backendName, options.device(), threads, format, tied,
                s.promptTokens(), s.newTokens(), ModelBench.DECODE_PROMPT_TOKENS, batch, s.repetitions(), s.warmup(),
                flops,
                Spread.of(t.prefillSeconds(), sec -> s.promptTokens() / sec),
                Spread.of(t.prefillSeconds(), sec -> flops / sec / 1e9),
                Spread.of(t.firstTokenSeconds(), sec -> sec * 1e3),
                Spread.of(t.decodeSeconds(), sec -> s.newTokens() / sec),
                Spread.of(t.batchSeconds(), sec -> (double) batch * s.newTokens() / sec),
                bytesPerToken, bandwidth, buffer, fma, peakHeap, heapCommitted, peakRss, rss,
                SystemInfo.cpuName(), Runtime.getRuntime().availableProcessors(), MachinePeaks.vectorBits());
    }
}
