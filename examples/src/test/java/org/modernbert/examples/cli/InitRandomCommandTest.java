package org.modernbert.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.Generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code modernbert init-random}: checkpoints that load and generate, refusals that harm nothing. */
class InitRandomCommandTest {
    static final Path MODERNBERT_STYLE = Path.of("../modernbert-core/src/test/resources/tokenizers/modernbert-style");

    @TempDir
    Path dir;

    private Path tinyConfig(int vocab) throws IOException {
        return Files.writeString(dir.resolve("tiny-" + vocab + ".json"), """
                {"architectures": ["ModernBertDecoderForCausalLM"], "model_type": "modernbert-decoder",
                 "vocab_size": %d, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "local_attention": 16, "max_position_embeddings": 128,
                 "pad_token_id": 3, "bos_token_id": 1, "eos_token_id": 2, "cls_token_id": 1, "sep_token_id": 2}
                """.formatted(vocab));
    }

    @Test
    void tinyConfigInEveryDtypeLoadsAndGenerates() throws IOException {
        Path config = tinyConfig(256);
        for (String dtype : List.of("f32", "bf16", "f16")) {
            Path out = dir.resolve("tiny-" + dtype);
            CliRun run = CliRun.of("init-random", "--config", config.toString(), "--dtype", dtype, "--output", out.toString(),
                    "--seed", "3");
            assertEquals(0, run.exitCode(), run.err());
            String line = run.out().strip();
            assertTrue(line.matches("wrote \\S+tiny-256\\.json \\(\\d[\\d,]* parameters, " + dtype.toUpperCase()
                    + ", \\d+\\.\\d MB\\) to \\S+ in \\d+\\.\\d s"), line);
            assertEquals(1, run.out().lines().count(), "one line");
            try (DecoderModel model = ModernBert.load(out, "cpu")) {
                CausalLanguageModel lm = assertInstanceOf(CausalLanguageModel.class, model);
                GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(6).minNewTokens(6).build();
                int[] ids = new Generator(lm, null).generate(List.of(new int[]{1, 17, 42}), greedy).sequences().getFirst().newIds();
                assertEquals(6, ids.length, dtype);
                for (int id : ids) {
                    assertTrue(id >= 0 && id < 256, dtype + " id " + id);
                }
            }
            CliRun gen = CliRun.of("generate", "--model", out.toString(), "--prompt-ids", "1,17,42", "--greedy",
                    "--max-new-tokens", "4", "--json");
            assertEquals(0, gen.exitCode(), gen.err());
            assertTrue(gen.out().contains("\"new_ids\""), gen.out());
        }
    }

    @Test
    void sameSeedSameWeights() throws IOException {
        Path config = tinyConfig(256);
        for (String name : List.of("a", "b", "c")) {
            String seed = name.equals("c") ? "1" : "0";
            assertEquals(0, CliRun.of("init-random", "--config", config.toString(), "--dtype", "bf16", "--output",
                    dir.resolve(name).toString(), "--seed", seed).exitCode());
        }
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b/model.safetensors")));
        assertFalse(java.util.Arrays.equals(a, Files.readAllBytes(dir.resolve("c/model.safetensors"))));
    }

    @Test
    void realTokenizerGeneratesText() throws IOException {
        Path out = dir.resolve("with-tokenizer");
        CliRun run = CliRun.of("init-random", "--config", tinyConfig(50368).toString(), "--dtype", "bf16", "--output",
                out.toString(), "--tokenizer", MODERNBERT_STYLE.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")) && Files.isRegularFile(out.resolve("tokenizer_config.json")));
        CliRun gen = CliRun.of("generate", "--model", out.toString(), "--max-new-tokens", "8", "--greedy", "hello");
        assertEquals(0, gen.exitCode(), gen.err());
        assertTrue(gen.out().startsWith("hello"), gen.out());
        assertTrue(gen.err().contains("generated: 8 tokens") || gen.err().contains("finish: eos"), gen.err());
    }

    @Test
    void refusesANonEmptyOutputAndLeavesItsFilesUntouched() throws IOException {
        Path out = Files.createDirectory(dir.resolve("busy"));
        Path keep = Files.writeString(out.resolve("weights.bin"), "mine");
        FileTime before = Files.getLastModifiedTime(keep);
        CliRun run = CliRun.of("init-random", "--config", "ettin-17m", "--dtype", "f32", "--output", out.toString());
        assertEquals(1, run.exitCode());
        assertEquals("error: output folder " + out + " exists and is not empty: its files are left as they are"
                + " (give a new or empty folder)", run.err().strip());
        assertEquals("mine", Files.readString(keep));
        assertEquals(before, Files.getLastModifiedTime(keep));
        try (Stream<Path> files = Files.list(out); Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of(keep), files.toList());
            assertEquals(List.of(out), siblings.toList(), "no temporary folder left beside it");
        }
    }

    @Test
    void oneLineErrors() throws IOException {
        Path out = dir.resolve("x");
        CliRun badDtype = CliRun.of("init-random", "--config", "ettin-17m", "--dtype", "q8_0", "--output", out.toString());
        assertEquals(1, badDtype.exitCode());
        assertEquals("error: --dtype q8_0 is not a safetensors dtype this command writes; use one of f32, bf16, f16",
                badDtype.err().strip());
        CliRun badName = CliRun.of("init-random", "--config", "ettin-2b", "--dtype", "f32", "--output", out.toString());
        assertEquals(1, badName.exitCode());
        assertEquals("error: --config ettin-2b is neither a known size (ettin-17m, ettin-32m, ettin-68m, ettin-150m,"
                + " ettin-400m, ettin-1b) nor a config.json file", badName.err().strip());
        CliRun smallVocab = CliRun.of("init-random", "--config", tinyConfig(256).toString(), "--dtype", "f32", "--output",
                out.toString(), "--tokenizer", MODERNBERT_STYLE.toString());
        assertEquals(1, smallVocab.exitCode());
        assertEquals(1, smallVocab.err().lines().count(), smallVocab.err());
        assertTrue(smallVocab.err().contains("token ids up to 50367 but vocab_size is 256"), smallVocab.err());
        assertFalse(Files.exists(out));
        CliRun missing = CliRun.of("init-random", "--config", "ettin-17m", "--output", out.toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().startsWith("error: Missing required option: '--dtype=f32|bf16|f16'"), missing.err());
    }
}
