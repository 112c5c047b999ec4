package org.modernbert.core.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.IoErrors;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.core.loading.CheckpointLoader;
import org.modernbert.core.safetensors.SafetensorsCheckpoint;
import org.modernbert.core.safetensors.SafetensorsStreamWriter;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A freshly initialised ModernBERT-decoder checkpoint folder: {@code config.json}, {@code model.safetensors},
 * {@code generation_config.json} and optionally a tokenizer, loadable by {@code ModernBert.load} and
 * transformers alike.
 *
 * <p>The weights follow transformers' {@code ModernBertDecoderPreTrainedModel._init_weights}: every linear and
 * embedding weight is a truncated normal N(0, std²) cut at ±{@code initializer_cutoff_factor}·std, with std =
 * {@code initializer_range} for the token embedding and the q/k/v and MLP {@code Wi} projections ("in"), std =
 * {@code initializer_range / sqrt(2 · num_hidden_layers)} for the attention and MLP {@code Wo} projections,
 * the prediction head's dense layer and an untied {@code decoder} ("out"), and std = {@code hidden_size^-0.5}
 * for a classifier ("final_out"); layer-norm weights are 1; every bias is 0. With tied embeddings the decoder
 * is the token embedding (transformers ties it after initialising, so it keeps the embedding's std) and is not
 * stored, as in the Hugging Face checkpoints.
 *
 * <p>Values are deterministic for a seed, whatever the number of threads: each tensor is cut into blocks of
 * {@value #BLOCK} values and each block draws from its own {@link SplittableRandom}, seeded from the seed, the
 * tensor's name and the block's index. Blocks are generated in parallel and written in order, a bounded number
 * at a time, so memory stays small whatever the model's size.
 */
public final class RandomCheckpoint {
    /** Values per independently seeded block. */
    public static final int BLOCK = 1 << 18;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a tensor is initialised. */
    public enum Init { TRUNCATED_NORMAL, ONES, ZEROS }

    /** One tensor of the checkpoint: name, shape, how it is initialised and (for a truncated normal) its std. */
    public record TensorPlan(String name, long[] shape, Init init, double std) {
        public TensorPlan {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + " " + init + (init == Init.TRUNCATED_NORMAL ? " std " + std : "");
        }
    }

    /** What {@link #write} wrote. */
    public record Result(Path folder, long parameters, WeightFormat dtype, long weightBytes, List<String> files) {
    }

    private RandomCheckpoint() {
    }

    // ---- the plan ----

    /** The stds of transformers' {@code _init_weights}: "in", "out", "embedding", "final_out". */
    public static double inStd(ModernBertDecoderConfig c) {
        return c.initializerRange();
    }

    public static double outStd(ModernBertDecoderConfig c) {
        return c.initializerRange() / Math.sqrt(2.0 * c.numHiddenLayers());
    }

    public static double embeddingStd(ModernBertDecoderConfig c) {
        return c.initializerRange();
    }

    public static double finalOutStd(ModernBertDecoderConfig c) {
        return Math.pow(c.hiddenSize(), -0.5);
    }

    /**
     * Every tensor the loader maps for this config and the head its {@code architectures} names, sorted by
     * name (the order of the Hugging Face writer), with its initialisation.
     */
    public static List<TensorPlan> plan(ModernBertDecoderConfig c) {
        HeadKind head = CheckpointLoader.headFor(c);
        List<TensorPlan> out = new ArrayList<>();
        long h = c.hiddenSize();
        long v = c.vocabSize();
        long im = c.intermediateSize();
        // transformers saves the task models' base model under "model."; a bare base model has no prefix
        String p = head == null ? "" : "model.";
        out.add(normal(p + "embeddings.tok_embeddings.weight", embeddingStd(c), v, h));
        norm(out, p + "embeddings.norm", c, h);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "layers." + i + ".";
            if (i > 0) {
                norm(out, l + "attn_norm", c, h);
            }
            for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
                linear(out, l + "attn." + proj, inStd(c), c.attentionBias(), h, h);
            }
            linear(out, l + "attn.Wo", outStd(c), c.attentionBias(), h, h);
            norm(out, l + "mlp_norm", c, h);
            linear(out, l + "mlp.Wi", inStd(c), c.mlpBias(), 2 * im, h);
            linear(out, l + "mlp.Wo", outStd(c), c.mlpBias(), h, im);
        }
        norm(out, p + "final_norm", c, h);
        if (head != null) {
            String hp = head == HeadKind.LANGUAGE_MODEL ? "lm_head." : "head.";
            linear(out, hp + "dense", outStd(c), c.classifierBias(), h, h);
            norm(out, hp + "norm", c, h);
            if (head == HeadKind.LANGUAGE_MODEL) {
                if (!c.tieWordEmbeddings()) {
                    out.add(normal("decoder.weight", outStd(c), v, h));
                }
                if (c.decoderBias()) {
                    out.add(new TensorPlan("decoder.bias", new long[]{v}, Init.ZEROS, 0));
                }
            } else {
                linear(out, "classifier", finalOutStd(c), c.classifierBias(), c.numLabels(), h);
            }
        }
        out.sort(Comparator.comparing(TensorPlan::name));
        return List.copyOf(out);
    }

    private static TensorPlan normal(String name, double std, long... shape) {
        return new TensorPlan(name, shape, Init.TRUNCATED_NORMAL, std);
    }

    private static void linear(List<TensorPlan> out, String name, double std, boolean bias, long outputs, long inputs) {
        out.add(normal(name + ".weight", std, outputs, inputs));
        if (bias) {
            out.add(new TensorPlan(name + ".bias", new long[]{outputs}, Init.ZEROS, 0));
        }
    }

    private static void norm(List<TensorPlan> out, String name, ModernBertDecoderConfig c, long h) {
        out.add(new TensorPlan(name + ".weight", new long[]{h}, Init.ONES, 0));
        if (c.normBias()) {
            out.add(new TensorPlan(name + ".bias", new long[]{h}, Init.ZEROS, 0));
        }
    }

    /** Parameters of the model: the elements of every stored tensor (a tied decoder is the embedding, counted once). */
    public static long parameterCount(ModernBertDecoderConfig c) {
        long n = 0;
        for (TensorPlan t : plan(c)) {
            n += t.elements();
        }
        return n;
    }

    // ---- values ----

    /** The random stream of block {@code block} of tensor {@code name} under {@code seed}. */
    public static SplittableRandom random(long seed, String name, long block) {
        long h = 0xCBF29CE484222325L; // FNV-1a 64 of the name's UTF-8 bytes: stable across JVMs
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        long s = mix(mix(seed * 0x9E3779B97F4A7C15L + h) + block * 0xBF58476D1CE4E5B9L);
        return new SplittableRandom(s);
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The values of block {@code block} of a tensor (its elements {@code [block·BLOCK, min(n, (block+1)·BLOCK))}),
     * written to {@code out[0, count)}; returns the count.
     */
    public static int blockValues(TensorPlan t, ModernBertDecoderConfig c, long seed, long block, float[] out) {
        long start = block * BLOCK;
        int count = (int) Math.min(BLOCK, t.elements() - start);
        switch (t.init()) {
            case ONES -> Arrays.fill(out, 0, count, 1f);
            case ZEROS -> Arrays.fill(out, 0, count, 0f);
            case TRUNCATED_NORMAL -> new TruncatedNormal(t.std(), c.initializerCutoffFactor())
                    .fill(random(seed, t.name(), block), out, 0, count);
        }
        return count;
    }

    // ---- writing ----

    /**
     * Writes {@code model.safetensors} with the plan's tensors in {@code dtype} into {@code file} (a new file),
     * on {@code threads} threads; returns its size in bytes.
     */
    public static long writeWeights(ModernBertDecoderConfig c, WeightFormat dtype, long seed, Path file, int threads) throws IOException {
        if (dtype == WeightFormat.Q8_0) {
            throw new ModernBertException("dtype Q8_0 cannot be stored in safetensors: choose F32, BF16 or F16");
        }
        checkInitializer(c);
        List<TensorPlan> plan = plan(c);
        List<SafetensorsStreamWriter.Entry> entries = new ArrayList<>();
        for (TensorPlan t : plan) {
            entries.add(new SafetensorsStreamWriter.Entry(t.name(), dtype, t.shape()));
        }
        int workers = Math.max(1, threads);
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread thread = new Thread(r, "modernbert-init-random");
            thread.setDaemon(true);
            return thread;
        });
        try (SafetensorsStreamWriter writer = SafetensorsStreamWriter.create(file, entries, Map.of("format", "pt"))) {
            int ahead = 2 * workers;
            Deque<Future<ByteBuffer>> window = new ArrayDeque<>();
            for (TensorPlan t : plan) {
                long blocks = (t.elements() + BLOCK - 1) / BLOCK;
                for (long b = 0; b < blocks; b++) {
                    long block = b;
                    window.add(pool.submit(() -> encodedBlock(t, c, seed, block, dtype)));
                    if (window.size() >= ahead) {
                        writer.writeEncoded(take(window));
                    }
                }
            }
            while (!window.isEmpty()) {
                writer.writeEncoded(take(window));
            }
            writer.finish();
            return writer.fileSize();
        } finally {
            pool.shutdownNow();
        }
    }

    private static ByteBuffer encodedBlock(TensorPlan t, ModernBertDecoderConfig c, long seed, long block, WeightFormat dtype) {
        float[] values = new float[(int) Math.min(BLOCK, t.elements())];
        int count = blockValues(t, c, seed, block, values);
        ByteBuffer out = ByteBuffer.allocate(count * dtype.blockBytes()).order(ByteOrder.LITTLE_ENDIAN);
        SafetensorsStreamWriter.encode(dtype, values, 0, count, out);
        return out.flip();
    }

    private static ByteBuffer take(Deque<Future<ByteBuffer>> window) throws IOException {
        try {
            return window.removeFirst().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating weights", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void checkInitializer(ModernBertDecoderConfig c) {
        if (!(c.initializerRange() >= 0) || Double.isInfinite(c.initializerRange())) {
            throw new ModernBertException("initializer_range must be a finite number >= 0, got " + c.initializerRange()
                    + ": it is the standard deviation of the initial weights");
        }
        if (!(c.initializerCutoffFactor() > 0) || Double.isInfinite(c.initializerCutoffFactor())) {
            throw new ModernBertException("initializer_cutoff_factor must be a finite number > 0, got "
                    + c.initializerCutoffFactor() + ": weights are cut at +-initializer_cutoff_factor standard deviations");
        }
    }

    /** config.json for the checkpoint: the config's fields, {@code torch_dtype} of the weights and explicit layer types. */
    public static String configJson(ModernBertDecoderConfig c, WeightFormat dtype) {
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(c.toJson());
            o.put("torch_dtype", switch (dtype) {
                case F32 -> "float32";
                case BF16 -> "bfloat16";
                case F16 -> "float16";
                case Q8_0 -> throw new IllegalArgumentException("Q8_0");
            });
            ArrayNode types = o.putArray("layer_types");
            for (AttentionType t : c.layerTypes()) {
                types.add(t.hfName());
            }
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** generation_config.json as transformers derives it from the model config: the special-token ids. */
    public static String generationConfigJson(ModernBertDecoderConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("_from_model_config", true);
        if (c.bosTokenId() != null) {
            o.put("bos_token_id", c.bosTokenId());
        }
        if (c.eosTokenIds().size() > 1) {
            ArrayNode eos = o.putArray("eos_token_id");
            c.eosTokenIds().forEach(eos::add);
        } else if (c.eosTokenId() != null) {
            o.put("eos_token_id", c.eosTokenId());
        }
        if (c.padTokenId() != null) {
            o.put("pad_token_id", c.padTokenId());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Checks a tokenizer folder for use with {@code c}: it loads, and its largest token id fits the embedding
     * ({@code < vocab_size}). Returns the files to copy: tokenizer.json and, when present, tokenizer_config.json.
     */
    public static List<Path> checkTokenizer(Path folder, ModernBertDecoderConfig c) {
        if (!Files.isDirectory(folder)) {
            throw new ModernBertException("tokenizer folder " + folder + " does not exist or is not a directory");
        }
        if (!Files.isRegularFile(folder.resolve("tokenizer.json"))) {
            throw new ModernBertException("tokenizer folder " + folder + " has no tokenizer.json");
        }
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.load(folder);
        int max = tokenizer.maxTokenId();
        if (max >= c.vocabSize()) {
            throw new ModernBertException("tokenizer " + folder.resolve("tokenizer.json") + " has token ids up to " + max
                    + " but vocab_size is " + c.vocabSize() + ": every id must be below vocab_size (use a config with vocab_size >= "
                    + (max + 1) + ")");
        }
        List<Path> files = new ArrayList<>();
        files.add(folder.resolve("tokenizer.json"));
        if (Files.isRegularFile(folder.resolve("tokenizer_config.json"))) {
            files.add(folder.resolve("tokenizer_config.json"));
        }
        return files;
    }

    /**
     * Refuses an output that would harm something: an existing file, or a folder that is not empty. Returns
     * the folder to create (a symbolic link to an empty folder is followed).
     */
    public static Path checkOutput(Path output) {
        Path target = output.toAbsolutePath();
        try {
            if (Files.isSymbolicLink(target) && Files.isDirectory(target)) {
                target = target.toRealPath();
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(target)) {
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ModernBertException("output " + output + " exists and is not a folder: it is left as it is");
                }
                try (Stream<Path> entries = Files.list(target)) {
                    if (entries.findAny().isPresent()) {
                        throw new ModernBertException("output folder " + output + " exists and is not empty: its files are left as"
                                + " they are (give a new or empty folder)");
                    }
                }
            }
        } catch (IOException e) {
            throw new ModernBertException("cannot use output folder " + output + ": " + IoErrors.reason(e), e);
        }
        return target;
    }

    /**
     * Writes the whole checkpoint folder to {@code output}, which must not exist or be an empty folder (a
     * non-empty one is refused and left untouched). Everything is written into a hidden temporary folder beside
     * it, renamed to {@code output} at the end; on any failure (and on SIGINT/SIGTERM) the temporary folder is
     * removed. Missing parent folders are created. With {@code tokenizer} (may be null) its tokenizer.json and
     * tokenizer_config.json are copied, after checking that its ids fit {@code vocab_size}.
     */
    public static Result write(ModernBertDecoderConfig c, WeightFormat dtype, long seed, Path tokenizer, Path output, int threads) {
        checkInitializer(c);
        if (dtype == WeightFormat.Q8_0) {
            throw new ModernBertException("dtype Q8_0 cannot be stored in safetensors: choose F32, BF16 or F16");
        }
        Path target = checkOutput(output);
        List<Path> tokenizerFiles = tokenizer == null ? List.of() : checkTokenizer(tokenizer, c);
        Path parent = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            Path folder = parent.resolve("." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            Files.createDirectory(folder);
            tmp = folder;
            InFlight.add(tmp);
            Files.writeString(tmp.resolve(CheckpointLoader.CONFIG_FILE), configJson(c, dtype));
            Files.writeString(tmp.resolve("generation_config.json"), generationConfigJson(c));
            List<String> files = new ArrayList<>(List.of(CheckpointLoader.CONFIG_FILE, "generation_config.json", SafetensorsCheckpoint.SINGLE_FILE));
            for (Path f : tokenizerFiles) {
                Files.copy(f, tmp.resolve(f.getFileName().toString()));
                files.add(f.getFileName().toString());
            }
            long bytes = writeWeights(c, dtype, seed, tmp.resolve(SafetensorsCheckpoint.SINGLE_FILE), threads);
            // the config must read back as the config the weights were made for
            ModernBertDecoderConfig written = CheckpointLoader.readConfig(tmp);
            if (!plan(written).toString().equals(plan(c).toString())) {
                throw new IllegalStateException("config.json written for " + c + " reads back as " + written);
            }
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                keepPermissions(target, tmp);
            }
            try {
                // rename(2) replaces an empty folder and fails on a non-empty one: a folder that filled up since the
                // check is left as it is
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(target);
                Files.move(tmp, target);
            }
            return new Result(target, parameterCount(c), dtype, bytes, List.copyOf(files));
        } catch (DirectoryNotEmptyException e) {
            throw new ModernBertException("output folder " + output + " is not empty any more: its files are left as they are", e);
        } catch (IOException e) {
            throw new ModernBertException("cannot write " + output + ": " + IoErrors.reason(e), e);
        } finally {
            if (tmp != null) {
                try {
                    deleteRecursively(tmp);
                } catch (IOException ignored) {
                    // best effort: the failure that brought us here is what the caller needs to hear about
                } finally {
                    InFlight.remove(tmp);
                }
            }
        }
    }

    private static void keepPermissions(Path from, Path to) {
        try {
            if (Files.getFileAttributeView(from, PosixFileAttributeView.class) != null) {
                Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // the folder's mode is a courtesy, not a requirement
        }
    }

    static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> entries = Files.list(folder)) {
                for (Path p : entries.toList()) {
                    deleteRecursively(p);
                }
            }
        }
        Files.deleteIfExists(folder);
    }

    /** Temporary folders being written: a shutdown hook (SIGTERM, SIGINT, System.exit) removes them. */
    private static final class InFlight {
        private static final Set<Path> FOLDERS = ConcurrentHashMap.newKeySet();

        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    for (Path p : FOLDERS) {
                        try {
                            deleteRecursively(p);
                        } catch (IOException | RuntimeException ignored) {
                            // the JVM is going away: nothing else to do with it
                        }
                    }
                }, "modernbert-init-random-cleanup"));
            } catch (IllegalStateException alreadyShuttingDown) {
                // nothing is written after this point anyway
            }
        }

        private InFlight() {
        }

        static void add(Path p) {
            FOLDERS.add(p);
        }

        static void remove(Path p) {
            FOLDERS.remove(p);
        }
    }
}
