package org.modernbert.benchmarks;

import org.modernbert.conformance.ReferenceFixtures;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Encode throughput of the ModernBERT-style 50k byte-level BPE tokenizer on about 4 MB of mixed text
 * (English prose, code, numbers, non-Latin scripts, emoji), and the time to load its tokenizer.json.
 * Scores are milliseconds per pass over the corpus; MB/s = corpus MB (printed at setup) / seconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TokenizerBenchmark {
    private static final String[] SEEDS = {
            "The quick brown fox jumps over the lazy dog while the committee debated the budget for another hour. ",
            "In 1969, 600 million people watched the landing; the rocket burned 2,000,000 kg of fuel in 168 seconds. ",
            "public static int sum(int[] xs) {\n    int s = 0;\n    for (int x : xs) { s += x; }\n    return s;\n}\n",
            "def tokenize(text):\n    return [t for t in text.split() if t]  # drop empties\n",
            "3.14159 2.71828 -42 1e-5 0xFF 65535 192.168.0.1 2024-06-01T12:00:00Z ",
            "日本語のテキストは単語の間に空白がありません。東京は大きな都市です。",
            "中文字符和English混合在一起，测试分词器的表现。",
            "Здравствуй, мир! Это пример русского текста для проверки токенизатора. ",
            "مرحبا بالعالم، هذا نص عربي قصير. ",
            "emoji 👋🏽 👨\u200d👩\u200d👧\u200d👦 🇫🇷 ✨🚀 ",
            "naïve café résumé Ångström façade coöperate ",
            "    indented   text\twith\ttabs\nand  several   spaces\n\n",
    };

    private List<String> documents;
    private long corpusBytes;
    private HuggingFaceTokenizer tokenizer;
    private Path tokenizerDir;

    @Setup
    public void setup() {
        tokenizerDir = ReferenceFixtures.tokenizerDir();
        tokenizer = HuggingFaceTokenizer.load(tokenizerDir);
        Random random = new Random(42);
        documents = new ArrayList<>();
        long bytes = 0;
        while (bytes < 4_000_000) {
            StringBuilder doc = new StringBuilder();
            int pieces = 5 + random.nextInt(20);
            for (int i = 0; i < pieces; i++) {
                String seed = SEEDS[random.nextInt(SEEDS.length)];
                // vary words so the BPE cache does not see only a handful of words
                doc.append(seed.replace("e", random.nextInt(4) == 0 ? "e" + random.nextInt(100) : "e"));
            }
            String text = doc.toString();
            documents.add(text);
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
        }
        corpusBytes = bytes;
        System.out.printf("%ncorpus: %d documents, %.2f MB UTF-8%n", documents.size(), corpusBytes / 1e6);
    }

    @Benchmark
    public void encodeSingleThread(Blackhole bh) {
        for (String doc : documents) {
            bh.consume(tokenizer.encode(doc, false));
        }
    }

    @Benchmark
    public void encodeBatch(Blackhole bh) {
        bh.consume(tokenizer.encodeBatch(documents, false));
    }

    @Benchmark
    public HuggingFaceTokenizer loadTokenizerJson() {
        return HuggingFaceTokenizer.load(tokenizerDir);
    }
}
