package org.modernbert.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modernbert.api.tensor.WeightFormat;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one safetensors file tensor by tensor, so a model larger than the heap can be written: every
 * tensor's name, dtype and shape is given up front (the header comes first in the file), then the data is
 * streamed in header order, in pieces of any size. The layout is the format's: an 8-byte little-endian
 * header length, the JSON header {@code {"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}}
 * padded with spaces to a multiple of 8 bytes (so the data area starts 8-byte aligned), then the tensors
 * back to back. Floats are encoded as F32, F16 (round to nearest even) or BF16 (round to nearest even).
 *
 * <p>The file is created new (an existing file is never overwritten); {@link #finish()} checks that every
 * tensor got all its bytes and forces the data to disk. Not thread-safe.
 */
public final class SafetensorsStreamWriter implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor of the file: its name, dtype (F32, F16 or BF16) and shape. */
    public record Entry(String name, WeightFormat dtype, long[] shape) {
        public Entry {
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("tensor name must be a non-empty string other than __metadata__, got " + name);
            }
            if (dtype == WeightFormat.Q8_0) {
                throw new IllegalArgumentException("safetensors has no Q8_0 dtype (tensor " + name + ")");
            }
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
                }
            }
        }

        /** Number of elements: the product of the shape (1 for a scalar). */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        public long byteSize() {
            return Math.multiplyExact(elements(), dtype.blockBytes());
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final List<Entry> entries;
    private final long dataStart;
    private final long totalBytes;
    private int current;
    /** Bytes of the current tensor still to come. */
    private long remaining;
    private ByteBuffer scratch;
    private boolean finished;

    private SafetensorsStreamWriter(Path file, FileChannel channel, List<Entry> entries, long dataStart, long totalBytes) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
        this.dataStart = dataStart;
        this.totalBytes = totalBytes;
        this.current = -1;
        advance();
    }

    /**
     * Creates {@code file} (it must not exist) and writes the header for {@code entries}, which are then
     * written in this order. {@code metadata} (may be empty) becomes {@code __metadata__}.
     */
    public static SafetensorsStreamWriter create(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        List<Entry> list = List.copyOf(entries);
        byte[] header = header(list, metadata);
        long total = header.length;
        for (Entry e : list) {
            total += e.byteSize();
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            writeFully(channel, ByteBuffer.wrap(header));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new SafetensorsStreamWriter(file, channel, list, header.length, total);
    }

    /**
     * The bytes that start the file: the 8-byte little-endian length, then the JSON header padded with
     * spaces to a multiple of 8. Tensors get consecutive {@code data_offsets} in the order given.
     */
    public static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Set<String> names = new LinkedHashSet<>();
        long offset = 0;
        for (Entry e : entries) {
            if (!names.add(e.name())) {
                throw new IllegalArgumentException("tensor " + e.name() + " is given twice");
            }
            ObjectNode o = root.putObject(e.name());
            o.put("dtype", e.dtype().name());
            ArrayNode shape = o.putArray("shape");
            for (long d : e.shape) {
                shape.add(d);
            }
            long end = offset + e.byteSize();
            o.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Long.BYTES + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** The tensor the next bytes belong to, or null when every tensor is complete. */
    public Entry current() {
        return current < entries.size() ? entries.get(current) : null;
    }

    /** Elements of the current tensor still to be written (0 when all are complete). */
    public long remainingElements() {
        Entry e = current();
        return e == null ? 0 : remaining / e.dtype().blockBytes();
    }

    /** The size the file will have when complete. */
    public long fileSize() {
        return totalBytes;
    }

    /** Size of the header, length prefix and padding included: where the data area starts. */
    public long dataStart() {
        return dataStart;
    }

    /** Encodes {@code count} values from {@code values[offset]} in the current tensor's dtype and appends them. */
    public void write(float[] values, int offset, int count) throws IOException {
        Entry e = requireRoom(count);
        int bytes = Math.multiplyExact(count, e.dtype().blockBytes());
        if (scratch == null || scratch.capacity() < bytes) {
            scratch = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
        }
        scratch.clear();
        encode(e.dtype(), values, offset, count, scratch);
        scratch.flip();
        put(scratch);
    }

    /** Appends {@code count} copies of {@code value} (ones of a norm weight, zeros of a bias) to the current tensor. */
    public void fill(float value, long count) throws IOException {
        float[] chunk = new float[(int) Math.min(count, 1 << 14)];
        Arrays.fill(chunk, value);
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, chunk.length);
            write(chunk, 0, n);
            left -= n;
        }
    }

    /**
     * Appends bytes already encoded in the current tensor's dtype (little-endian): whole elements, at
     * most what the tensor still lacks. The buffer's position moves to its limit.
     */
    public void writeEncoded(ByteBuffer encoded) throws IOException {
        Entry e = current();
        int size = e == null ? 1 : e.dtype().blockBytes();
        if (encoded.remaining() % size != 0) {
            throw new IllegalArgumentException(encoded.remaining() + " bytes are not whole " + e.dtype() + " elements of tensor " + e.name());
        }
        requireRoom(encoded.remaining() / size);
        put(encoded);
    }

    private Entry requireRoom(long count) {
        Entry e = current();
        if (e == null) {
            if (count == 0) {
                return null;
            }
            throw new IllegalStateException("every tensor of " + file + " is already complete; " + count + " more values given");
        }
        if (count < 0 || count > remainingElements()) {
            throw new IllegalArgumentException(count + " values given for tensor " + e.name() + ", which lacks only "
                    + remainingElements());
        }
        return e;
    }

    private void put(ByteBuffer bytes) throws IOException {
        if (finished) {
            throw new IllegalStateException(file + " is already finished");
        }
        int n = bytes.remaining();
        writeFully(channel, bytes);
        remaining -= n;
        if (remaining == 0) {
            advance();
        }
    }

    /** Moves to the next tensor that still needs bytes (tensors with no elements need none). */
    private void advance() {
        current++;
        while (current < entries.size() && entries.get(current).byteSize() == 0) {
            current++;
        }
        remaining = current < entries.size() ? entries.get(current).byteSize() : 0;
    }

    /** Checks that every tensor is complete and forces the file to disk; the writer is then closed. */
    public void finish() throws IOException {
        Entry e = current();
        if (e != null) {
            throw new IllegalStateException("tensor " + e.name() + " of " + file + " still lacks " + remainingElements()
                    + " values" + (current + 1 < entries.size() ? " (and " + (entries.size() - current - 1) + " tensors follow it)" : ""));
        }
        channel.force(true);
        finished = true;
        channel.close();
    }

    /** Closes the file; a file closed before {@link #finish()} is incomplete and should be deleted by the caller. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    // ---- encoding ----

    /** Encodes {@code count} floats from {@code values[offset]} into {@code out} (which must be little-endian). */
    public static void encode(WeightFormat dtype, float[] values, int offset, int count, ByteBuffer out) {
        if (out.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("safetensors data is little-endian: give a little-endian buffer");
        }
        int end = offset + count;
        switch (dtype) {
            case F32 -> {
                for (int i = offset; i < end; i++) {
                    out.putFloat(values[i]);
                }
            }
            case BF16 -> {
                for (int i = offset; i < end; i++) {
                    out.putShort(toBf16(values[i]));
                }
            }
            case F16 -> {
                for (int i = offset; i < end; i++) {
                    out.putShort(Float.floatToFloat16(values[i]));
                }
            }
            case Q8_0 -> throw new IllegalArgumentException("safetensors has no Q8_0 dtype");
        }
    }

    /** The BF16 bits of {@code v}, rounded to nearest even (NaN stays a quiet NaN of the same sign). */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Names of the tensors in file order. */
    public List<String> names() {
        List<String> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.name()));
        return out;
    }
}
