package org.modernbert.core.loading;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.tokenizer.Encoding;
import org.modernbert.core.safetensors.SafetensorsCheckpoint;
import org.modernbert.core.safetensors.SafetensorsCheckpointTest;
import org.modernbert.core.safetensors.SafetensorsException;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model folders as the Hugging Face cache lays them out: {@code models--org--name/blobs/<hash>} holds the
 * files, {@code snapshots/<rev>/<file name>} is a relative symlink {@code ../../blobs/<hash>} for every
 * one of them (config, tokenizer files, weights, shard index). Everything loads from the snapshot folder.
 */
class HuggingFaceCacheLayoutTest {
    private static final String REV = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path dir;

    static Path tokenizerFixture() {
        try {
            return Path.of(HuggingFaceCacheLayoutTest.class.getResource("/tokenizers/modernbert-style/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Moves every file of {@code staging} into {@code cache/models--org--name/blobs/<sha256>} and links
     * {@code snapshots/<rev>/<name>} to it, as huggingface_hub does; returns the snapshot folder.
     */
    static Path cacheShaped(Path staging, Path cache) throws IOException {
        Path repo = cache.resolve("models--modernbert-test--tiny-mbd");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(REV));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), REV);
        List<Path> files;
        try (Stream<Path> s = Files.list(staging)) {
            files = s.toList();
        }
        for (Path f : files) {
            String hash = sha256(f);
            Files.move(f, blobs.resolve(hash));
            Files.createSymbolicLink(snapshot.resolve(f.getFileName().toString()), Path.of("..", "..", "blobs", hash));
        }
        return snapshot;
    }

    private static String sha256(Path f) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyTokenizer(Path to) throws IOException {
        Files.copy(tokenizerFixture().resolve("tokenizer.json"), to.resolve("tokenizer.json"));
        Files.copy(tokenizerFixture().resolve("tokenizer_config.json"), to.resolve("tokenizer_config.json"));
    }

    private static void assertSameWeights(LoadedCheckpoint expected, LoadedCheckpoint actual) {
        List<LayerWeights> a = expected.weights().layers();
        List<LayerWeights> b = actual.weights().layers();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).wi().toFloatArray(), b.get(i).wi().toFloatArray(), "layer " + i + " Wi");
            assertArrayEquals(a.get(i).wq().toFloatArray(), b.get(i).wq().toFloatArray(), "layer " + i + " q_proj");
        }
        assertArrayEquals(expected.weights().head().projectionBias().toFloatArray(),
                actual.weights().head().projectionBias().toFloatArray());
    }

    private static void assertTokenizerLoads(Path snapshot) {
        assertTrue(Files.isSymbolicLink(snapshot.resolve("tokenizer.json")));
        HuggingFaceTokenizer cached = HuggingFaceTokenizer.load(snapshot);
        HuggingFaceTokenizer direct = HuggingFaceTokenizer.load(tokenizerFixture());
        Encoding e = cached.encode("In the beginning", true);
        assertArrayEquals(direct.encode("In the beginning", true).ids(), e.ids());
        assertEquals(direct.specialTokens(), cached.specialTokens(), "tokenizer_config.json read through its symlink");
    }

    @Test
    void singleFileCheckpointAndTokenizerLoadFromTheSnapshotFolder() throws IOException {
        Path staging = Files.createDirectory(dir.resolve("staging"));
        Path fixture = CheckpointLoaderFixtureTest.fixture();
        Files.copy(fixture.resolve("model.safetensors"), staging.resolve("model.safetensors"));
        Files.copy(fixture.resolve("config.json"), staging.resolve("config.json"));
        copyTokenizer(staging);
        Path snapshot = cacheShaped(staging, dir.resolve("hub"));
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model.safetensors")));
        try (LoadedCheckpoint cached = CheckpointLoader.load(snapshot); LoadedCheckpoint direct = CheckpointLoader.load(fixture)) {
            assertEquals(SafetensorsCheckpoint.SINGLE_FILE, cached.source().getFileName().toString());
            assertEquals(direct.config().toJson(), cached.config().toJson());
            assertSameWeights(direct, cached);
        }
        assertTokenizerLoads(snapshot);
    }

    @Test
    void shardedCheckpointAndTokenizerLoadFromTheSnapshotFolder() throws IOException {
        Path staging = Files.createDirectory(dir.resolve("staging"));
        SafetensorsCheckpointTest.writeShardedFixture(staging);
        copyTokenizer(staging);
        Path snapshot = cacheShaped(staging, dir.resolve("hub"));
        assertTrue(Files.isSymbolicLink(snapshot.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model-00001-of-00002.safetensors")));
        try (LoadedCheckpoint cached = CheckpointLoader.load(snapshot);
             LoadedCheckpoint direct = CheckpointLoader.load(CheckpointLoaderFixtureTest.fixture())) {
            assertEquals(SafetensorsCheckpoint.INDEX_FILE, cached.source().getFileName().toString());
            assertSameWeights(direct, cached);
        }
        assertTokenizerLoads(snapshot);
    }

    @Test
    void anIndexNamingTheBlobsByPathIsStillRefused() throws IOException {
        Path staging = Files.createDirectory(dir.resolve("staging"));
        SafetensorsCheckpointTest.writeShardedFixture(staging);
        String hash = sha256(staging.resolve("model-00001-of-00002.safetensors"));
        Path snapshot = cacheShaped(staging, dir.resolve("hub"));
        // an index (not a symlink the user made) that reaches into the blobs with ..
        Path index = snapshot.resolve(SafetensorsCheckpoint.INDEX_FILE);
        String text = Files.readString(index).replace("\"model-00001-of-00002.safetensors\"", "\"../../blobs/" + hash + "\"");
        Files.delete(index);
        Files.writeString(index, text);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> CheckpointLoader.load(snapshot));
        assertTrue(e.getMessage().contains("shard file \"../../blobs/" + hash + "\"") && e.getMessage().contains("uses .. to leave"),
                e.getMessage());
    }

    @Test
    void aSnapshotWhoseBlobIsMissingSaysSoInOneLine() throws IOException {
        Path staging = Files.createDirectory(dir.resolve("staging"));
        SafetensorsCheckpointTest.writeShardedFixture(staging);
        String hash = sha256(staging.resolve("model-00002-of-00002.safetensors"));
        Path snapshot = cacheShaped(staging, dir.resolve("hub"));
        Files.delete(dir.resolve("hub/models--modernbert-test--tiny-mbd/blobs").resolve(hash));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> CheckpointLoader.load(snapshot));
        assertTrue(e.getMessage().contains("shard file \"model-00002-of-00002.safetensors\"")
                && e.getMessage().contains("is a symlink to ../../blobs/" + hash + ", which does not exist"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aSingleFileSnapshotWhoseBlobIsMissingSaysSo() throws IOException {
        Path staging = Files.createDirectory(dir.resolve("staging"));
        Path fixture = CheckpointLoaderFixtureTest.fixture();
        Files.copy(fixture.resolve("model.safetensors"), staging.resolve("model.safetensors"));
        Files.copy(fixture.resolve("config.json"), staging.resolve("config.json"));
        String hash = sha256(staging.resolve("model.safetensors"));
        Path snapshot = cacheShaped(staging, dir.resolve("hub"));
        Files.delete(dir.resolve("hub/models--modernbert-test--tiny-mbd/blobs").resolve(hash));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> CheckpointLoader.load(snapshot));
        assertTrue(e.getMessage().startsWith("model.safetensors in " + snapshot + " is a symlink to ../../blobs/" + hash
                + ", which does not exist"), e.getMessage());
    }
}
