package org.modernbert.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.ModernBertException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSourceTest {
    @TempDir
    Path dir;

    private Path copyOfBundled() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("model"));
        for (String f : ModelFolder.files(SparkTasksTest.BUNDLED)) {
            Files.copy(SparkTasksTest.BUNDLED.resolve(f), copy.resolve(f));
        }
        return copy;
    }

    @Test
    void shipsWhatTheTokenizerAndGenerationReadBesidesConfigAndWeights() {
        ModelSource source = ModelSource.shipped(SparkTasksTest.BUNDLED);
        assertEquals(List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "model.safetensors"),
                source.files());
        String files = source.sparkFiles("hdfs:///x/lookup.csv");
        assertTrue(files.startsWith("hdfs:///x/lookup.csv,file:"), files);
        assertEquals(6, files.split(",").length);
        assertEquals(SparkTasksTest.BUNDLED, source.folderHere(), "the driver reads its own folder");
    }

    @Test
    void theFingerprintFollowsTheContents() throws IOException {
        Path copy = copyOfBundled();
        assertEquals(ModelSource.onEveryNode(SparkTasksTest.BUNDLED).sha256(), ModelSource.onEveryNode(copy).sha256());
        Files.writeString(copy.resolve("generation_config.json"), "{\"max_new_tokens\": 3}");
        assertNotEquals(ModelSource.onEveryNode(SparkTasksTest.BUNDLED).sha256(), ModelSource.onEveryNode(copy).sha256());
    }

    @Test
    void anExecutorRefusesFilesThatDifferFromTheValidatedOnes() throws IOException {
        Path copy = copyOfBundled();
        ModelSource validated = ModelSource.onEveryNode(copy);
        Files.writeString(copy.resolve("generation_config.json"), "{\"max_new_tokens\": 3}");
        ModernBertException e = assertThrows(ModernBertException.class,
                () -> ExecutorModels.causalLm(validated, BackendSettings.defaults()));
        assertTrue(e.getMessage().startsWith("model files in " + copy + " differ from the ones the driver validated"), e.getMessage());
    }

    @Test
    void aFolderWithoutTheModelFilesIsNamedWithWhatIsMissing() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        ModernBertException e = assertThrows(ModernBertException.class, () -> ModelSource.shipped(dir));
        assertEquals("model folder " + dir + " is not a Hugging Face model folder for this job: it has no tokenizer.json,"
                + " no model.safetensors (or its shard index model.safetensors.index.json)", e.getMessage());
    }

    @Test
    void rowSeedsDependOnTheJobSeedAndTheIdOnly() {
        assertEquals(RowSeeds.derive(42, "7"), RowSeeds.derive(42, "7"));
        assertNotEquals(RowSeeds.derive(42, "7"), RowSeeds.derive(42, "8"));
        assertNotEquals(RowSeeds.derive(42, "7"), RowSeeds.derive(43, "7"));
        // pinned: a change of the derivation would silently change every sampled row of every earlier job
        assertEquals(-2282708963136834479L, RowSeeds.derive(0, "0"));
        assertEquals(-7379637726719237827L, RowSeeds.derive(42, "row-7"));
    }
}
