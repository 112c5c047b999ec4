package org.modernbert.core.safetensors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static byte[] shorts(int... bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : bits) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private SafetensorsException fails(byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("bad.safetensors"), bytes);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f, arena));
            assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
            return e;
        }
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected \"" + p + "\" in: " + message);
        }
    }

    private static SafetensorsWriter fourFloats() {
        return new SafetensorsWriter().add("w", WeightFormat.F32, new long[] {2, 2}, new float[] {1, 2, 3, 4});
    }

    // ---- values (expected bytes and numbers computed with numpy) ----

    @Test
    void readsF32Values() throws IOException {
        // numpy: np.array([0.1, -123.456, 1e-30, 3.4e38], '<f4').tobytes().hex()
        byte[] raw = hex("cdcccc3d" + "79e9f6c2" + "6042a20d" + "9ec97f7f");
        Path f = new SafetensorsWriter().metadata("format", "pt").addRaw("t", "F32", new long[] {4}, raw).write(dir.resolve("a.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = SafetensorsFile.open(f, arena);
            assertEquals("pt", file.metadata().get("format"));
            Tensor t = file.tensor("t");
            assertEquals(WeightFormat.F32, t.format());
            assertArrayEquals(new float[] {0.1f, -123.456f, 1e-30f, 3.4e38f}, t.toFloatArray());
            assertTrue(t.data().isMapped(), "tensor data is a slice of the file mapping, not a heap copy");
        }
    }

    @Test
    void readsF16Values() throws IOException {
        // numpy float16 bit patterns: 1.0, -2.0, 1/3, 65504 (max), smallest subnormal, -0.0
        byte[] raw = shorts(0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000);
        Path f = new SafetensorsWriter().addRaw("h", "F16", new long[] {2, 3}, raw).write(dir.resolve("h.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = SafetensorsFile.open(f, arena).tensor("h");
            assertArrayEquals(new long[] {2, 3}, t.shape());
            float[] v = t.toFloatArray();
            assertEquals(1.0f, v[0]);
            assertEquals(-2.0f, v[1]);
            assertEquals(0.333251953125f, v[2]);
            assertEquals(65504.0f, v[3]);
            assertEquals(5.960464477539063e-08f, v[4]);
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(v[5]));
        }
    }

    @Test
    void readsBf16Values() throws IOException {
        // bf16 is the top half of float32: 0x3f80 = 1.0, 0x4049 = 3.140625, 0xc2f7 = -123.5, 0x0000 = 0
        Path f = new SafetensorsWriter().addRaw("b", "BF16", new long[] {4}, shorts(0x3f80, 0x4049, 0xc2f7, 0x0000))
                .write(dir.resolve("b.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new float[] {1.0f, 3.140625f, -123.5f, 0.0f}, SafetensorsFile.open(f, arena).tensor("b").toFloatArray());
        }
    }

    @Test
    void acceptsScalarsEmptyTensorsAndGaps() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .add("scalar", WeightFormat.F32, new long[] {}, new float[] {7.5f})
                .add("empty", WeightFormat.BF16, new long[] {0, 4}, new float[0])
                .add("v", WeightFormat.F16, new long[] {2}, new float[] {0.5f, -1.5f});
        Path f = w.write(dir.resolve("s.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile file = SafetensorsFile.open(f, arena);
            assertEquals(7.5f, file.tensor("scalar").getFloat(0));
            assertEquals(0, file.tensor("empty").elementCount());
            assertArrayEquals(new float[] {0.5f, -1.5f}, file.tensor("v").toFloatArray());
            assertEquals(java.util.List.of("scalar", "empty", "v"), java.util.List.copyOf(file.tensors().keySet()));
        }
    }

    // ---- bad input ----

    @Test
    void aDirectoryInPlaceOfTheFileIsSaidSo() throws IOException {
        Path d = Files.createDirectory(dir.resolve("model.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(d, arena));
            assertEquals("safetensors file " + d + " is a directory, not a file", e.getMessage());
        }
    }

    @Test
    void fileShorterThanHeaderLength() throws IOException {
        SafetensorsException e = fails(new byte[] {1, 2, 3, 4, 5});
        assertContains(e.getMessage(), "truncated", "5 bytes", "8-byte header length");
    }

    @Test
    void fileTruncatedInsideTheData() throws IOException {
        byte[] good = fourFloats().toBytes();
        SafetensorsException e = fails(Arrays.copyOf(good, good.length - 3));
        assertContains(e.getMessage(), "tensor w", "data_offsets [0, 16]", "outside the data area of 13 bytes", "truncated");
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        byte[] bytes = fourFloats().toBytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1_000_000);
        SafetensorsException e = fails(bytes);
        assertContains(e.getMessage(), "header length 1000000 is larger than the " + (bytes.length - 8) + " bytes");
    }

    @Test
    void headerLengthAboveTwoToThe63() throws IOException {
        byte[] bytes = fourFloats().toBytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertContains(fails(bytes).getMessage(), "header length 18446744073709551615 is larger than");
    }

    @Test
    void headerJsonNotAnObject() throws IOException {
        assertContains(fails(fourFloats().toBytes("[1, 2, 3]")).getMessage(), "header must be a JSON object", "got a JSON array");
    }

    @Test
    void headerNotJson() throws IOException {
        assertContains(fails(fourFloats().toBytes("{\"w\": {\"dtype\": ")).getMessage(), "header is not valid JSON");
    }

    @Test
    void offsetsOutsideTheData() throws IOException {
        SafetensorsWriter w = fourFloats();
        ((ObjectNode) w.header().get("w")).putArray("data_offsets").add(16).add(32);
        assertContains(fails(w.toBytes()).getMessage(), "tensor w", "data_offsets [16, 32] lie outside the data area of 16 bytes");
    }

    @Test
    void offsetsEndBeforeBegin() throws IOException {
        SafetensorsWriter w = fourFloats();
        ((ObjectNode) w.header().get("w")).putArray("data_offsets").add(16).add(0);
        assertContains(fails(w.toBytes()).getMessage(), "tensor w", "[16, 0] end before they begin");
    }

    @Test
    void overlappingOffsets() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .add("a", WeightFormat.F32, new long[] {4}, new float[] {1, 2, 3, 4})
                .add("b", WeightFormat.F32, new long[] {4}, new float[] {5, 6, 7, 8});
        ((ObjectNode) w.header().get("b")).putArray("data_offsets").add(8).add(24);
        assertContains(fails(w.toBytes()).getMessage(), "tensors a [0, 16) and b [8, 24) have overlapping data_offsets");
    }

    @Test
    void offsetsNotMatchingShapeTimesDtype() throws IOException {
        SafetensorsWriter w = fourFloats();
        ((ObjectNode) w.header().get("w")).putArray("shape").add(3).add(2);
        assertContains(fails(w.toBytes()).getMessage(), "tensor w", "span 16 bytes but shape [3, 2] x F32 (4 bytes) needs 24");
    }

    @Test
    void unsupportedDtype() throws IOException {
        byte[] bytes = new SafetensorsWriter().addRaw("model.position_ids", "I64", new long[] {2}, new byte[16]).toBytes();
        SafetensorsException e = fails(bytes);
        assertContains(e.getMessage(), "unsupported dtype I64 for tensor model.position_ids in file", "(supported: F32, F16, BF16)");
    }

    @Test
    void entryMissingFields() throws IOException {
        SafetensorsWriter w = fourFloats();
        ((ObjectNode) w.header().get("w")).remove("dtype");
        ((ObjectNode) w.header().get("w")).remove("data_offsets");
        assertContains(fails(w.toBytes()).getMessage(), "tensor w", "entry lacks dtype, data_offsets");
    }

    @Test
    void entryWithWrongTypes() throws IOException {
        SafetensorsWriter w = fourFloats();
        ((ObjectNode) w.header().get("w")).put("shape", "2x2");
        assertContains(fails(w.toBytes()).getMessage(), "tensor w", "shape must be a list of non-negative integers, got \"2x2\"");
        SafetensorsWriter w2 = fourFloats();
        ((ObjectNode) w2.header().get("w")).putArray("data_offsets").add(0);
        assertContains(fails(w2.toBytes()).getMessage(), "data_offsets must be [begin, end]");
        SafetensorsWriter w3 = fourFloats();
        ((ObjectNode) w3.header().get("w")).put("dtype", 32);
        assertContains(fails(w3.toBytes()).getMessage(), "dtype must be a string, got 32");
        SafetensorsWriter w4 = fourFloats();
        w4.header().put("x", 3);
        assertContains(fails(w4.toBytes()).getMessage(), "tensor x", "entry must be a JSON object");
    }

    @Test
    void missingFileNamesIt() {
        Path f = dir.resolve("nope.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f, arena));
            assertContains(e.getMessage(), "cannot read safetensors file " + f);
        }
    }
}
