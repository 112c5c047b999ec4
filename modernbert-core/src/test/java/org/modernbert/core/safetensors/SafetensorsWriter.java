package org.modernbert.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.tensor.WeightFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helper that writes safetensors files: tensors are laid out back to back in insertion order,
 * the header is padded with spaces to a multiple of 8 as the reference writer does. Header entries
 * can be overridden afterwards to produce malformed files on purpose.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode header = JSON.createObjectNode();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final Map<String, WeightFormat> dtypes = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        ObjectNode meta = header.has("__metadata__") ? (ObjectNode) header.get("__metadata__") : header.putObject("__metadata__");
        meta.put(key, value);
        return this;
    }

    /** Adds a tensor with values encoded from floats (BF16 rounds to nearest even, F16 by the JDK). */
    public SafetensorsWriter add(String name, WeightFormat dtype, long[] shape, float[] values) {
        return addRaw(name, dtype.name(), shape, encode(dtype, values));
    }

    /** Adds a tensor with the given raw little-endian bytes and dtype name (which need not be supported). */
    public SafetensorsWriter addRaw(String name, String dtype, long[] shape, byte[] bytes) {
        long begin = data.size();
        data.writeBytes(bytes);
        ObjectNode e = header.putObject(name);
        e.put("dtype", dtype);
        ArrayNode s = e.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        e.putArray("data_offsets").add(begin).add(data.size());
        WeightFormat known = WeightFormat.fromSafetensorsName(dtype);
        if (known != null) {
            dtypes.put(name, known);
        }
        return this;
    }

    /** The mutable header, for tests that corrupt an entry. */
    public ObjectNode header() {
        return header;
    }

    public byte[] toBytes() {
        return toBytes(header.toString());
    }

    /** A file with the given header text in place of the generated one, followed by the data area. */
    public byte[] toBytes(String headerText) {
        byte[] h = headerText.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        out.put(data.toByteArray());
        return out.array();
    }

    public Path write(Path file) throws IOException {
        Files.write(file, toBytes());
        return file;
    }

    public static byte[] encode(WeightFormat dtype, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.blockBytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(Float.floatToFloat16(v));
                case BF16 -> {
                    int bits = Float.floatToRawIntBits(v);
                    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
                    b.putShort((short) (rounded >>> 16));
                }
                case Q8_0 -> throw new IllegalArgumentException("safetensors has no Q8_0 dtype");
            }
        }
        return b.array();
    }

    /** Deterministic small values for a tensor of {@code count} elements (seeded by the name). */
    public static float[] values(String name, long count) {
        float[] out = new float[Math.toIntExact(count)];
        long state = name.hashCode() * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < out.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            out[i] = ((state >>> 40) / (float) (1 << 24) - 0.5f) * 0.2f;
        }
        return out;
    }

    public static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Names in insertion order. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(n -> {
            if (!n.equals("__metadata__")) {
                names.add(n);
            }
        });
        return names;
    }
}
