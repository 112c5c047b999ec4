package org.modernbert.core.init;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.loading.CheckpointLoader;
import org.modernbert.core.loading.LoadedCheckpoint;
import org.modernbert.core.safetensors.SafetensorsFile;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomCheckpointTest {
    /**
     * Standard deviation of N(0, 1) truncated to [-2, 2], relative to the untruncated one:
     * sqrt(1 - 2·2·φ(2) / (2Φ(2) - 1)) with φ(2) = 0.05399096651, 2Φ(2) - 1 = 0.95449973610.
     */
    private static final double TRUNCATED_STD_FACTOR = Math.sqrt(1 - 4 * 0.05399096651 / 0.95449973610);
    /** P(|z| <= 1 | |z| <= 2) for a standard normal z: 0.68268949214 / 0.95449973610. */
    private static final double WITHIN_ONE_STD = 0.68268949214 / 0.95449973610;

    @TempDir
    Path dir;

    static ModernBertDecoderConfig tiny(int layers) {
        return ModernBertDecoderConfig.fromJson("""
                {"architectures": ["ModernBertDecoderForCausalLM"], "model_type": "modernbert-decoder",
                 "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": %d,
                 "num_attention_heads": 4, "local_attention": 16, "max_position_embeddings": 256,
                 "pad_token_id": 3, "bos_token_id": 1, "eos_token_id": 2, "cls_token_id": 1, "sep_token_id": 2}
                """.formatted(layers));
    }

    static Path modernbertStyleTokenizer() {
        try {
            return Path.of(RandomCheckpointTest.class.getResource("/tokenizers/modernbert-style/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double[] meanStd(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (float x : v) {
            sq += (x - mean) * (x - mean);
        }
        return new double[]{mean, Math.sqrt(sq / v.length)};
    }

    @Test
    void truncatedNormalStatistics() {
        double std = 0.02;
        TruncatedNormal dist = new TruncatedNormal(std, 2.0);
        float[] v = new float[1 << 20];
        dist.fill(new SplittableRandom(11), v, 0, v.length);
        double[] ms = meanStd(v);
        double expectedStd = std * TRUNCATED_STD_FACTOR;  // 0.017592...
        assertEquals(0, ms[0], 5 * expectedStd / Math.sqrt(v.length), "mean");
        assertEquals(expectedStd, ms[1], expectedStd * 0.005, "std of N(0, 0.02²) cut at ±2 std");
        int within = 0;
        int nearEdge = 0;
        float max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
            within += Math.abs(x) <= std ? 1 : 0;
            nearEdge += Math.abs(x) > 1.9 * std ? 1 : 0;
        }
        assertTrue(max <= 0.04f, "nothing beyond the cutoff, max |x| " + max);
        assertEquals(dist.bound(), 0.04f);
        assertTrue(nearEdge > 1000, "the distribution reaches the cutoff: " + nearEdge);
        assertEquals(WITHIN_ONE_STD, within / (double) v.length, 0.003, "share within ±1 std (a normal's shape)");
    }

    @Test
    void planFollowsTransformersInitWeights() {
        ModernBertDecoderConfig c = tiny(4);
        Map<String, RandomCheckpoint.TensorPlan> plan = new LinkedHashMap<>();
        RandomCheckpoint.plan(c).forEach(t -> plan.put(t.name(), t));
        double out = 0.02 / Math.sqrt(2 * 4);
        assertEquals(0.02, plan.get("model.embeddings.tok_embeddings.weight").std());
        assertEquals(0.02, plan.get("model.layers.2.attn.q_proj.weight").std());
        assertEquals(0.02, plan.get("model.layers.2.mlp.Wi.weight").std());
        assertEquals(out, plan.get("model.layers.2.attn.Wo.weight").std(), 1e-15);
        assertEquals(out, plan.get("model.layers.2.mlp.Wo.weight").std(), 1e-15);
        assertEquals(out, plan.get("lm_head.dense.weight").std(), 1e-15);
        assertEquals(RandomCheckpoint.Init.ONES, plan.get("model.layers.1.attn_norm.weight").init());
        assertEquals(RandomCheckpoint.Init.ONES, plan.get("lm_head.norm.weight").init());
        assertEquals(RandomCheckpoint.Init.ZEROS, plan.get("decoder.bias").init());
        assertFalse(plan.containsKey("model.layers.0.attn_norm.weight"), "layer 0 has no attn_norm");
        assertFalse(plan.containsKey("decoder.weight"), "tied to the token embedding");
        List<String> sorted = new ArrayList<>(plan.keySet());
        sorted.sort(null);
        assertEquals(sorted, new ArrayList<>(plan.keySet()), "sorted by name, as the HF writer does");

        // biases, untied decoder, classifier
        ModernBertDecoderConfig biased = ModernBertDecoderConfig.fromJson("""
                {"architectures": ["ModernBertDecoderForSequenceClassification"], "vocab_size": 512, "hidden_size": 64,
                 "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "norm_bias": true,
                 "attention_bias": true, "mlp_bias": true, "classifier_bias": true, "num_labels": 3, "pad_token_id": 3}
                """);
        Map<String, RandomCheckpoint.TensorPlan> p2 = new LinkedHashMap<>();
        RandomCheckpoint.plan(biased).forEach(t -> p2.put(t.name(), t));
        assertEquals(RandomCheckpoint.Init.ZEROS, p2.get("model.layers.1.attn.Wo.bias").init());
        assertEquals(RandomCheckpoint.Init.ZEROS, p2.get("model.layers.1.mlp.Wi.bias").init());
        assertArrayEquals(new long[]{192}, p2.get("model.layers.1.mlp.Wi.bias").shape());
        assertEquals(RandomCheckpoint.Init.ZEROS, p2.get("model.final_norm.bias").init());
        assertEquals(1 / Math.sqrt(64), p2.get("classifier.weight").std(), 1e-15);
        assertArrayEquals(new long[]{3, 64}, p2.get("classifier.weight").shape());
        assertEquals(RandomCheckpoint.Init.ZEROS, p2.get("head.dense.bias").init());
        ModernBertDecoderConfig untied = ModernBertDecoderConfig.fromJson("""
                {"vocab_size": 512, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "tie_word_embeddings": false, "decoder_bias": false, "pad_token_id": 3}
                """);
        Map<String, RandomCheckpoint.TensorPlan> p3 = new LinkedHashMap<>();
        RandomCheckpoint.plan(untied).forEach(t -> p3.put(t.name(), t));
        assertEquals(0.02 / 2, p3.get("decoder.weight").std(), 1e-15);
        assertFalse(p3.containsKey("decoder.bias"));
    }

    @Test
    void outProjectionsAreSmallerBySqrtTwoL() throws IOException {
        ModernBertDecoderConfig c = tiny(4);
        Path file = dir.resolve("model.safetensors");
        RandomCheckpoint.writeWeights(c, WeightFormat.F32, 5, file, 2);
        List<Float> in = new ArrayList<>();
        List<Float> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            for (Map.Entry<String, Tensor> e : f.tensors().entrySet()) {
                String n = e.getKey();
                List<Float> target = n.endsWith("proj.weight") || n.endsWith("Wi.weight") ? in
                        : n.endsWith("Wo.weight") ? out : null;
                if (target != null) {
                    for (float x : e.getValue().toFloatArray()) {
                        target.add(x);
                    }
                }
            }
        }
        double inStd = meanStd(toArray(in))[1];
        double outStd = meanStd(toArray(out))[1];
        assertEquals(0.02 * TRUNCATED_STD_FACTOR, inStd, 0.02 * 0.02);
        assertEquals(Math.sqrt(2 * 4), inStd / outStd, 0.05 * Math.sqrt(8), "in / out std = sqrt(2 * num_hidden_layers)");
        float outMax = 0;
        for (float x : out) {
            outMax = Math.max(outMax, Math.abs(x));
        }
        assertTrue(outMax <= (float) (2 * 0.02 / Math.sqrt(8)), "out projections cut at 2 of their std: " + outMax);
    }

    private static float[] toArray(List<Float> v) {
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a;
    }

    @Test
    void deterministicForASeedWhateverTheThreads() throws IOException {
        ModernBertDecoderConfig c = tiny(2);
        byte[] a = weights(c, 42, 1, "a");
        byte[] b = weights(c, 42, 3, "b");
        byte[] other = weights(c, 43, 2, "c");
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, other));
    }

    private byte[] weights(ModernBertDecoderConfig c, long seed, int threads, String name) throws IOException {
        Path f = dir.resolve(name + ".safetensors");
        RandomCheckpoint.writeWeights(c, WeightFormat.BF16, seed, f, threads);
        return Files.readAllBytes(f);
    }

    @Test
    void tensorsLargerThanOneBlockAreSeededPerBlock() {
        ModernBertDecoderConfig c = tiny(1);
        RandomCheckpoint.TensorPlan t = new RandomCheckpoint.TensorPlan("big", new long[]{3, RandomCheckpoint.BLOCK}, RandomCheckpoint.Init.TRUNCATED_NORMAL, 0.02);
        float[] b0 = new float[RandomCheckpoint.BLOCK];
        float[] b1 = new float[RandomCheckpoint.BLOCK];
        assertEquals(RandomCheckpoint.BLOCK, RandomCheckpoint.blockValues(t, c, 0, 0, b0));
        assertEquals(RandomCheckpoint.BLOCK, RandomCheckpoint.blockValues(t, c, 0, 1, b1));
        assertFalse(Arrays.equals(b0, b1), "blocks draw different values");
        float[] again = new float[RandomCheckpoint.BLOCK];
        RandomCheckpoint.blockValues(t, c, 0, 1, again);
        assertArrayEquals(b1, again);
    }

    @Test
    void writesAFolderTheLoaderAccepts() throws IOException {
        for (WeightFormat dtype : List.of(WeightFormat.F32, WeightFormat.BF16, WeightFormat.F16)) {
            Path out = dir.resolve("m-" + dtype);
            RandomCheckpoint.Result r = RandomCheckpoint.write(tiny(3), dtype, 0, null, out, 2);
            assertEquals(RandomCheckpoint.parameterCount(tiny(3)), r.parameters());
            assertEquals(Files.size(out.resolve("model.safetensors")), r.weightBytes());
            try (LoadedCheckpoint ck = CheckpointLoader.load(out)) {
                assertEquals(64, ck.config().hiddenSize());
                assertEquals(dtype, ck.weights().tokenEmbeddings().format());
            }
            String config = Files.readString(out.resolve("config.json"));
            assertTrue(config.contains("\"torch_dtype\" : \"" + switch (dtype) {
                case F32 -> "float32";
                case BF16 -> "bfloat16";
                default -> "float16";
            } + "\""), config);
            assertTrue(Files.readString(out.resolve("generation_config.json")).contains("\"eos_token_id\" : 2"));
            try (Stream<Path> siblings = Files.list(dir)) {
                assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary folder left");
            }
        }
    }

    @Test
    void ettin17mHasTheDocumentedShapes() throws IOException {
        ModernBertDecoderConfig c = NamedConfigs.get("ettin-17m");
        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put("model.embeddings.tok_embeddings.weight", new long[]{50368, 256});
        expected.put("model.embeddings.norm.weight", new long[]{256});
        for (int i = 0; i < 7; i++) {
            String l = "model.layers." + i + ".";
            if (i > 0) {
                expected.put(l + "attn_norm.weight", new long[]{256});
            }
            for (String p : List.of("q_proj", "k_proj", "v_proj", "Wo")) {
                expected.put(l + "attn." + p + ".weight", new long[]{256, 256});
            }
            expected.put(l + "mlp_norm.weight", new long[]{256});
            expected.put(l + "mlp.Wi.weight", new long[]{768, 256});
            expected.put(l + "mlp.Wo.weight", new long[]{256, 384});
        }
        expected.put("model.final_norm.weight", new long[]{256});
        expected.put("lm_head.dense.weight", new long[]{256, 256});
        expected.put("lm_head.norm.weight", new long[]{256});
        expected.put("decoder.bias", new long[]{50368});
        assertEquals(61, expected.size());

        Path out = dir.resolve("ettin-17m");
        RandomCheckpoint.Result r = RandomCheckpoint.write(c, WeightFormat.BF16, 0, modernbertStyleTokenizer(), out, 2);
        long params = expected.values().stream().mapToLong(s -> Arrays.stream(s).reduce(1, (x, y) -> x * y)).sum();
        assertEquals(16_913_600, params);
        assertEquals(params, r.parameters());
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"), arena);
            assertEquals(expected.keySet().stream().sorted().toList(), List.copyOf(f.tensors().keySet()));
            expected.forEach((name, shape) -> {
                assertArrayEquals(shape, f.tensor(name).shape(), name);
                assertEquals(WeightFormat.BF16, f.tensor(name).format(), name);
            });
            assertEquals(Map.of("format", "pt"), f.metadata());
            double[] emb = meanStd(f.tensor("model.embeddings.tok_embeddings.weight").toFloatArray());
            assertEquals(0.02 * TRUNCATED_STD_FACTOR, emb[1], 0.02 * 0.005, "embedding std = initializer_range");
        }
        try (LoadedCheckpoint ck = CheckpointLoader.load(out)) {
            ModernBertDecoderConfig read = ck.config();
            assertEquals(List.of(256, 7, 4, 384, 50368, 128, 3, 8192), List.of(read.hiddenSize(), read.numHiddenLayers(),
                    read.numAttentionHeads(), read.intermediateSize(), read.vocabSize(), read.localAttention(),
                    read.globalAttnEveryNLayers(), read.maxPositionEmbeddings()));
            assertEquals(List.of(50283, 50281, 50282, 50281, 50282), List.of(read.padTokenId(), read.bosTokenId(),
                    read.eosTokenId(), read.clsTokenId(), read.sepTokenId()));
            assertEquals(160000.0, read.globalRopeTheta());
            assertEquals(160000.0, read.localRopeTheta());
            assertTrue(read.tieWordEmbeddings());
        }
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(modernbertStyleTokenizer().resolve(file)), Files.readAllBytes(out.resolve(file)));
        }
        assertEquals(50367, HuggingFaceTokenizer.load(out).maxTokenId());
    }

    /** V·H + H + L·(4H² + 3·I·H + 2H) - H (no attn_norm on layer 0) + H (final norm) + H² + H (head) + V (decoder bias). */
    private static long formula(long v, long h, long l, long i) {
        return v * h + h + l * (4 * h * h + 3 * i * h + 2 * h) - h + h + h * h + h + v;
    }

    @Test
    void namedConfigParameterCounts() {
        Map<String, long[]> sizes = new LinkedHashMap<>();   // hidden, layers, heads, intermediate, nominal size
        sizes.put("ettin-17m", new long[]{256, 7, 4, 384, 17_000_000});
        sizes.put("ettin-32m", new long[]{384, 10, 6, 576, 32_000_000});
        sizes.put("ettin-68m", new long[]{512, 19, 8, 768, 68_000_000});
        sizes.put("ettin-150m", new long[]{768, 22, 12, 1152, 150_000_000});
        sizes.put("ettin-400m", new long[]{1024, 28, 16, 2624, 400_000_000});
        sizes.put("ettin-1b", new long[]{1792, 28, 28, 3840, 1_000_000_000});
        assertEquals(List.copyOf(sizes.keySet()), List.copyOf(NamedConfigs.names()));
        sizes.forEach((name, s) -> {
            ModernBertDecoderConfig c = NamedConfigs.get(name);
            assertEquals(List.of((int) s[0], (int) s[1], (int) s[2], (int) s[3]),
                    List.of(c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.intermediateSize()), name);
            assertEquals(64, c.headDim(), name);
            long count = formula(50368, s[0], s[1], s[3]);
            assertEquals(count, RandomCheckpoint.parameterCount(c), name);
            assertEquals(1.0, count / (double) s[4], 0.06, name + " has " + count + " parameters");
        });
        assertEquals(149_655_232L, RandomCheckpoint.parameterCount(NamedConfigs.get("ettin-150m")));
        ModernBertException e = assertThrows(ModernBertException.class, () -> NamedConfigs.get("ettin-2b"));
        assertTrue(e.getMessage().contains("ettin-17m, ettin-32m"), e.getMessage());
    }

    @Test
    void refusesANonEmptyOutputFolderAndLeavesItUntouched() throws IOException {
        Path out = Files.createDirectory(dir.resolve("busy"));
        Path keep = Files.writeString(out.resolve("notes.txt"), "keep me");
        FileTime before = Files.getLastModifiedTime(keep);
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> RandomCheckpoint.write(tiny(1), WeightFormat.F32, 0, null, out, 1));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("keep me", Files.readString(keep));
        assertEquals(before, Files.getLastModifiedTime(keep));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(keep), files.toList());
        }
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of(out), siblings.toList(), "no temporary folder beside it");
        }
        Path file = Files.writeString(dir.resolve("a-file"), "data");
        e = assertThrows(ModernBertException.class, () -> RandomCheckpoint.write(tiny(1), WeightFormat.F32, 0, null, file, 1));
        assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
        assertEquals("data", Files.readString(file));
    }

    @Test
    void writesIntoAnEmptyFolder() throws IOException {
        Path out = Files.createDirectory(dir.resolve("empty"));
        RandomCheckpoint.write(tiny(1), WeightFormat.F16, 0, null, out, 1);
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        Path nested = dir.resolve("new/parents/model");
        RandomCheckpoint.write(tiny(1), WeightFormat.F16, 0, null, nested, 1);
        assertTrue(Files.isRegularFile(nested.resolve("config.json")));
    }

    @Test
    void refusesATokenizerWhoseIdsDoNotFitTheVocabulary() {
        Path out = dir.resolve("small-vocab");
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> RandomCheckpoint.write(tiny(1), WeightFormat.F32, 0, modernbertStyleTokenizer(), out, 1));
        assertTrue(e.getMessage().contains("50367") && e.getMessage().contains("vocab_size is 512"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void refusesABadInitializer() {
        ModernBertDecoderConfig c = ModernBertDecoderConfig.fromJson("""
                {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "pad_token_id": 0, "initializer_cutoff_factor": 0}
                """);
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> RandomCheckpoint.write(c, WeightFormat.F32, 0, null, dir.resolve("x"), 1));
        assertTrue(e.getMessage().contains("initializer_cutoff_factor"), e.getMessage());
        assertNotEquals(0, RandomCheckpoint.parameterCount(c));
    }
}
