package org.modernbert.core.loading;

import org.junit.jupiter.api.Test;
import org.modernbert.api.config.AttentionType;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.WeightFormat;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Loads the real tiny-mbd-bf16 fixture (a transformers-saved causal LM) and checks the mapping and values. */
class CheckpointLoaderFixtureTest {

    static Path fixture() {
        try {
            return Path.of(CheckpointLoaderFixtureTest.class.getResource("/models/tiny-mbd-bf16/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void loadsCausalLmWithTiedDecoder() {
        try (LoadedCheckpoint c = CheckpointLoader.load(fixture())) {
            ModelWeights w = c.weights();
            assertEquals(64, c.config().hiddenSize());
            assertEquals(6, w.layers().size());
            assertEquals(WeightFormat.BF16, w.tokenEmbeddings().format());
            assertArrayEquals(new long[] {512, 64}, w.tokenEmbeddings().shape());
            assertNull(w.embeddingNormBias(), "norm_bias is false");
            HeadWeights head = w.head();
            assertEquals(HeadKind.LANGUAGE_MODEL, head.kind());
            assertEquals(512, head.outputs());
            assertSame(w.tokenEmbeddings(), head.projection(), "no decoder.weight in the file: tied to the embedding");
            assertNotNull(head.projectionBias(), "decoder_bias is true");
            assertNull(head.denseBias(), "classifier_bias is false");
            assertNull(head.normBias());
            assertEquals(c.config().classifierActivation(), head.activation());
            assertEquals("model.safetensors", c.source().getFileName().toString());
        }
    }

    @Test
    void bf16ValuesMatchNumpy() {
        // Expected numbers: numpy reading the same file (uint16 << 16 viewed as float32).
        try (LoadedCheckpoint c = CheckpointLoader.load(fixture(), HeadKind.LANGUAGE_MODEL)) {
            ModelWeights w = c.weights();
            assertEquals(-0.111816406f, w.tokenEmbeddings().getFloat(0));
            assertEquals(-0.49609375f, w.tokenEmbeddings().getFloat(1));
            assertEquals(-0.21972656f, w.tokenEmbeddings().getFloat(100 * 64 + 7));
            assertEquals(0.67578125f, w.tokenEmbeddings().getFloat(511 * 64 + 63));
            assertEquals(0.80859375f, w.embeddingNorm().getFloat(5));
            assertEquals(0.0006904602f, w.layers().get(5).wMlpOut().getFloat(63 * 96 + 95));
            assertEquals(-0.16308594f, w.layers().get(2).wi().getFloat(191 * 64));
            assertEquals(-0.04638672f, w.head().projectionBias().getFloat(0));
            assertEquals(-0.1484375f, w.head().projectionBias().getFloat(511));
            assertEquals(0.087890625f, w.head().dense().getFloat(3 * 64 + 4));
        }
    }

    @Test
    void layersCarryTypeThetaAndNoAttnNormOnLayerZero() {
        try (LoadedCheckpoint c = CheckpointLoader.load(fixture())) {
            for (LayerWeights l : c.weights().layers()) {
                AttentionType expected = l.index() % 3 == 0 ? AttentionType.FULL_ATTENTION : AttentionType.SLIDING_ATTENTION;
                assertEquals(expected, l.attentionType(), "layer " + l.index());
                assertEquals(expected == AttentionType.FULL_ATTENTION ? 160000.0 : 10000.0, l.ropeTheta(), "layer " + l.index());
                if (l.index() == 0) {
                    assertNull(l.attnNorm());
                } else {
                    assertNotNull(l.attnNorm());
                }
                assertArrayEquals(new long[] {192, 64}, l.wi().shape());
                assertArrayEquals(new long[] {64, 96}, l.wMlpOut().shape());
                assertNull(l.bq());
            }
        }
    }

    @Test
    void baseModelIgnoresHeadTensors() {
        try (LoadedCheckpoint c = CheckpointLoader.load(fixture(), null)) {
            assertNull(c.weights().head());
            assertEquals(6, c.weights().layers().size());
        }
    }

    @Test
    void closeUnmapsAndIsIdempotent() {
        LoadedCheckpoint c = CheckpointLoader.load(fixture());
        var emb = c.weights().tokenEmbeddings();
        c.close();
        c.close();
        assertThrows(IllegalStateException.class, () -> emb.getFloat(0), "reading after close must fail, not read freed memory");
    }
}
