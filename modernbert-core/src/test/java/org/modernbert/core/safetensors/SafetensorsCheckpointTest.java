package org.modernbert.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class SafetensorsCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static Path fixtureFile() {
        try {
            return Path.of(SafetensorsCheckpointTest.class.getResource("/models/tiny-mbd-bf16/model.safetensors").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Splits the fixture into two shards (tensors alternate between them) plus an index, the layout
     * transformers writes for large models; copies config.json too so the folder is a whole model.
     */
    public static void writeShardedFixture(Path folder) throws IOException {
        SafetensorsWriter[] shards = {new SafetensorsWriter(), new SafetensorsWriter()};
        String[] names = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", Files.size(fixtureFile()));
        ObjectNode weightMap = index.putObject("weight_map");
        try (Arena arena = Arena.ofConfined()) {
            int i = 0;
            for (Tensor t : SafetensorsFile.open(fixtureFile(), arena).tensors().values()) {
                shards[i % 2].addRaw(t.name(), t.format().name(), t.shape(), t.data().toArray(ValueLayout.JAVA_BYTE));
                weightMap.put(t.name(), names[i % 2]);
                i++;
            }
        }
        shards[0].write(folder.resolve(names[0]));
        shards[1].write(folder.resolve(names[1]));
        Files.writeString(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toPrettyString());
        Files.copy(fixtureFile().resolveSibling("config.json"), folder.resolve("config.json"));
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected \"" + p + "\" in: " + message);
        }
    }

    private SafetensorsException fails(Path folder) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(folder, arena));
        }
    }

    @Test
    void shardedCheckpointHasTheSameTensorsAsTheSingleFile() throws IOException {
        writeShardedFixture(dir);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsCheckpoint sharded = SafetensorsCheckpoint.open(dir, arena);
            Map<String, Tensor> single = SafetensorsFile.open(fixtureFile(), arena).tensors();
            assertEquals(2, sharded.files().size());
            assertEquals(SafetensorsCheckpoint.INDEX_FILE, sharded.source().getFileName().toString());
            assertEquals(single.keySet(), sharded.tensors().keySet());
            for (Tensor t : single.values()) {
                Tensor s = sharded.tensors().get(t.name());
                assertEquals(t.format(), s.format());
                assertEquals(-1, t.data().mismatch(s.data()), "bytes of " + t.name());
            }
            assertEquals("model-00002-of-00002.safetensors", sharded.fileOf("model.embeddings.norm.weight").getFileName().toString());
        }
    }

    @Test
    void prefersTheSingleFileOverTheIndex() throws IOException {
        writeShardedFixture(dir);
        Files.copy(fixtureFile(), dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir, arena);
            assertEquals(SafetensorsCheckpoint.SINGLE_FILE, c.source().getFileName().toString());
            assertEquals(1, c.files().size());
        }
    }

    @Test
    void noWeightsListsWhatWasLookedFor() throws IOException {
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        assertContains(fails(dir).getMessage(), "no weights in model folder " + dir, "model.safetensors and model.safetensors.index.json",
                "pytorch_model.bin");
    }

    private void writeIndex(Map<String, String> weightMap) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
    }

    private static SafetensorsWriter oneTensor(String name) {
        return new SafetensorsWriter().add(name, WeightFormat.F32, new long[] {2}, new float[] {1, 2});
    }

    @Test
    void refusesAbsoluteShardPath() throws IOException {
        Path outside = oneTensor("a").write(Files.createTempFile("outside", ".safetensors"));
        try {
            writeIndex(Map.of("a", outside.toString()));
            assertContains(fails(dir).getMessage(), "shard file \"" + outside + "\" (for tensor a) is refused",
                    "not absolute paths");
        } finally {
            Files.delete(outside);
        }
    }

    @Test
    void refusesDotDotShardPath() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        oneTensor("a").write(dir.resolve("secret.safetensors"));
        ObjectNode index = JSON.createObjectNode();
        index.putObject("weight_map").put("a", "../secret.safetensors");
        Files.writeString(model.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
        assertContains(fails(model).getMessage(), "shard file \"../secret.safetensors\" (for tensor a) is refused",
                "uses .. to leave the model folder");
    }

    @Test
    void refusesDotDotInsideAShardName() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        oneTensor("a").write(model.resolve("s1.safetensors"));
        for (String name : new String[] {"..", "sub/../s1.safetensors", "..\\s1.safetensors"}) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("weight_map").put("a", name);
            Files.writeString(model.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
            assertContains(fails(model).getMessage(), "shard file \"" + name + "\" (for tensor a) is refused", "uses .. to leave");
        }
    }

    @Test
    void refusesShardNamesWithAPathSeparatorEvenInsideTheFolder() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        Path sub = Files.createDirectory(model.resolve("sub"));
        oneTensor("a").write(sub.resolve("x.safetensors"));
        for (String name : new String[] {"sub/x.safetensors", "sub\\x.safetensors", "./sub/x.safetensors"}) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("weight_map").put("a", name);
            Files.writeString(model.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
            assertContains(fails(model).getMessage(), "shard file \"" + name + "\" (for tensor a) is refused",
                    "without a path separator");
        }
    }

    @Test
    void followsTheUsersSymlinkToAShardElsewhere() throws IOException {
        // A link the user made is followed like the Hugging Face cache's links into blobs/; only the
        // names written in the index are restricted.
        Path model = Files.createDirectory(dir.resolve("model"));
        Path elsewhere = oneTensor("a").write(dir.resolve("elsewhere.safetensors"));
        Files.createSymbolicLink(model.resolve("shard.safetensors"), elsewhere);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("weight_map").put("a", "shard.safetensors");
        Files.writeString(model.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsCheckpoint c = SafetensorsCheckpoint.open(model, arena);
            assertEquals(1, c.files().size());
            assertEquals(model.resolve("shard.safetensors"), c.fileOf("a"));
        }
    }

    @Test
    void aBrokenShardSymlinkIsNamed() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.createSymbolicLink(model.resolve("shard.safetensors"), Path.of("../gone/blob"));
        ObjectNode index = JSON.createObjectNode();
        index.putObject("weight_map").put("a", "shard.safetensors");
        Files.writeString(model.resolve(SafetensorsCheckpoint.INDEX_FILE), index.toString());
        assertContains(fails(model).getMessage(), "shard file \"shard.safetensors\" (for tensor a) in " + model,
                "is a symlink to ../gone/blob, which does not exist");
    }

    @Test
    void emptyShardNameIsRefused() throws IOException {
        writeIndex(Map.of("a", ""));
        assertContains(fails(dir).getMessage(), "shard file \"\" (for tensor a) is refused: the shard name is empty");
    }

    @Test
    void weightMapTensorMissingFromItsShard() throws IOException {
        oneTensor("a").write(dir.resolve("s1.safetensors"));
        writeIndex(Map.of("a", "s1.safetensors", "b", "s1.safetensors"));
        assertContains(fails(dir).getMessage(), "tensor b is assigned to shard s1.safetensors but that file has no such tensor");
    }

    @Test
    void shardTensorMissingFromWeightMap() throws IOException {
        new SafetensorsWriter().add("a", WeightFormat.F32, new long[] {1}, new float[] {1})
                .add("extra", WeightFormat.F32, new long[] {1}, new float[] {2}).write(dir.resolve("s1.safetensors"));
        writeIndex(Map.of("a", "s1.safetensors"));
        assertContains(fails(dir).getMessage(), "tensor extra is in shard s1.safetensors but not in the weight_map");
    }

    @Test
    void manyMismatchesAreSummarisedNotAllListed() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().add("a", WeightFormat.F32, new long[] {1}, new float[] {1});
        for (int i = 0; i < 20; i++) {
            w.add("extra" + i, WeightFormat.F32, new long[] {1}, new float[] {i});
        }
        w.write(dir.resolve("s1.safetensors"));
        writeIndex(Map.of("a", "s1.safetensors"));
        String message = fails(dir).getMessage();
        assertContains(message, "not in the weight_map", "; and 15 more");
        assertTrue(message.length() < 800, message);
    }

    @Test
    void tensorInTheWrongShard() throws IOException {
        oneTensor("a").write(dir.resolve("s1.safetensors"));
        new SafetensorsWriter().add("a", WeightFormat.F32, new long[] {1}, new float[] {1})
                .add("b", WeightFormat.F32, new long[] {1}, new float[] {2}).write(dir.resolve("s2.safetensors"));
        writeIndex(Map.of("a", "s1.safetensors", "b", "s2.safetensors"));
        assertContains(fails(dir).getMessage(), "tensor a is in shard s2.safetensors but the weight_map assigns it to s1.safetensors");
    }

    @Test
    void missingShardFile() throws IOException {
        writeIndex(Map.of("a", "gone.safetensors"));
        assertContains(fails(dir).getMessage(), "shard file \"gone.safetensors\" (for tensor a) does not exist");
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE), "{\"metadata\": {}}");
        assertContains(fails(dir).getMessage(), "must have a weight_map object");
    }
}
