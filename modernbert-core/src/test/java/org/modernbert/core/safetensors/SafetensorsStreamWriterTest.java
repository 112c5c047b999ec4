package org.modernbert.core.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.api.tensor.WeightFormat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming writer round-trips through {@link SafetensorsFile}, the reader the loader uses. */
class SafetensorsStreamWriterTest {
    @TempDir
    Path dir;

    private static final List<SafetensorsStreamWriter.Entry> ENTRIES = List.of(
            new SafetensorsStreamWriter.Entry("a.weight", WeightFormat.F32, new long[]{3, 5}),
            new SafetensorsStreamWriter.Entry("empty", WeightFormat.F32, new long[]{0, 4}),
            new SafetensorsStreamWriter.Entry("b.bias", WeightFormat.F32, new long[]{7}),
            new SafetensorsStreamWriter.Entry("scalar", WeightFormat.F32, new long[]{}));

    private static List<SafetensorsStreamWriter.Entry> entries(WeightFormat dtype) {
        return ENTRIES.stream().map(e -> new SafetensorsStreamWriter.Entry(e.name(), dtype, e.shape())).toList();
    }

    private static float[] values(long n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.3);
        }
        return v;
    }

    private static float decoded(WeightFormat dtype, float v) {
        return switch (dtype) {
            case F32 -> v;
            case BF16 -> Float.intBitsToFloat((SafetensorsStreamWriter.toBf16(v) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case Q8_0 -> throw new AssertionError();
        };
    }

    @Test
    void roundTripsThroughTheReaderInEveryDtype() throws IOException {
        for (WeightFormat dtype : List.of(WeightFormat.F32, WeightFormat.BF16, WeightFormat.F16)) {
            Path file = dir.resolve("m-" + dtype + ".safetensors");
            List<SafetensorsStreamWriter.Entry> entries = entries(dtype);
            try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(file, entries, Map.of("format", "pt"))) {
                float[] a = values(15, 1);
                w.write(a, 0, 4);          // in uneven pieces
                w.write(a, 4, 10);
                w.write(a, 14, 1);
                assertEquals("b.bias", w.current().name(), "the empty tensor needs no bytes");
                float[] b = values(7, 2);
                ByteBuffer encoded = ByteBuffer.allocate(7 * dtype.blockBytes()).order(ByteOrder.LITTLE_ENDIAN);
                SafetensorsStreamWriter.encode(dtype, b, 0, 7, encoded);
                w.writeEncoded(encoded.flip());
                w.fill(0.5f, 1);
                assertNull(w.current());
                w.finish();
                assertEquals(w.fileSize(), Files.size(file));
            }
            byte[] bytes = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLength % 8, "header padded to 8 bytes");
            assertTrue(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).stripTrailing().endsWith("}"));
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsFile f = SafetensorsFile.open(file, arena);
                assertEquals(Map.of("format", "pt"), f.metadata());
                assertEquals(List.of("a.weight", "empty", "b.bias", "scalar"), List.copyOf(f.tensors().keySet()));
                Tensor a = f.tensor("a.weight");
                assertEquals(dtype, a.format());
                assertArrayEquals(new long[]{3, 5}, a.shape());
                float[] expectA = values(15, 1);
                float[] gotA = a.toFloatArray();
                for (int i = 0; i < 15; i++) {
                    assertEquals(decoded(dtype, expectA[i]), gotA[i], 0f, dtype + " a[" + i + "]");
                }
                assertEquals(0, f.tensor("empty").elementCount());
                float[] expectB = values(7, 2);
                float[] gotB = f.tensor("b.bias").toFloatArray();
                for (int i = 0; i < 7; i++) {
                    assertEquals(decoded(dtype, expectB[i]), gotB[i], 0f, dtype + " b[" + i + "]");
                }
                assertEquals(0, f.tensor("scalar").rank());
                assertEquals(0.5f, f.tensor("scalar").getFloat(0));
            }
        }
    }

    @Test
    void headerIsPaddedWithSpaces() {
        byte[] h = SafetensorsStreamWriter.header(ENTRIES, Map.of());
        long n = ByteBuffer.wrap(h, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(h.length - 8, n);
        assertEquals(0, n % 8);
        String text = new String(h, 8, (int) n, StandardCharsets.UTF_8);
        String json = text.stripTrailing();
        assertTrue(json.endsWith("}"));
        assertTrue(text.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertTrue(text.length() - json.length() < 8);
        assertTrue(json.contains("\"b.bias\":{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[60,88]}"), json);
    }

    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0)
        assertEquals((short) 0x3F80, SafetensorsStreamWriter.toBf16(Float.intBitsToFloat(0x3F808000)));
        // 1 + 3*2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6: goes up to even
        assertEquals((short) 0x3F82, SafetensorsStreamWriter.toBf16(Float.intBitsToFloat(0x3F818000)));
        // just above halfway rounds up, just below rounds down
        assertEquals((short) 0x3F81, SafetensorsStreamWriter.toBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x3F80, SafetensorsStreamWriter.toBf16(Float.intBitsToFloat(0x3F807FFF)));
        assertEquals((short) 0xBF80, SafetensorsStreamWriter.toBf16(-1f));
        assertEquals((short) 0x7F80, SafetensorsStreamWriter.toBf16(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(Float.intBitsToFloat((SafetensorsStreamWriter.toBf16(Float.NaN) & 0xFFFF) << 16)));
    }

    @Test
    void refusesTooManyValuesAndAnIncompleteFinish() throws IOException {
        Path file = dir.resolve("m.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(file, ENTRIES, Map.of())) {
            float[] v = new float[16];
            assertThrows(IllegalArgumentException.class, () -> w.write(v, 0, 16), "a.weight has 15 elements");
            w.write(v, 0, 15);
            IllegalStateException e = assertThrows(IllegalStateException.class, w::finish);
            assertTrue(e.getMessage().contains("b.bias") && e.getMessage().contains("7"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.writeEncoded(ByteBuffer.allocate(3)), "not whole F32 values");
        }
    }

    @Test
    void neverOverwritesAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("keep.safetensors"), "precious");
        assertThrows(FileAlreadyExistsException.class, () -> SafetensorsStreamWriter.create(file, ENTRIES, Map.of()));
        assertEquals("precious", Files.readString(file));
    }

    @Test
    void refusesDuplicateNamesAndQ8() {
        List<SafetensorsStreamWriter.Entry> twice = List.of(ENTRIES.get(0), ENTRIES.get(0));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsStreamWriter.header(twice, Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsStreamWriter.Entry("q", WeightFormat.Q8_0, new long[]{32}));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsStreamWriter.Entry("n", WeightFormat.F32, new long[]{-1}));
        assertEquals(15, ENTRIES.getFirst().elements());
        assertEquals(Arrays.toString(new long[]{3, 5}), Arrays.toString(ENTRIES.getFirst().shape()));
    }
}
