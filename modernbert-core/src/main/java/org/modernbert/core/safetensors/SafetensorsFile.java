package org.modernbert.core.safetensors;

import org.modernbert.api.IoErrors;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header
 * {@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}, then the
 * data area. The whole file is mapped read-only into the caller's arena; tensors are slices of that
 * mapping (nothing is copied to the heap) and stay valid until the arena is closed.
 *
 * <p>Everything is validated when the file is opened, so a tensor handed out is always in bounds
 * and exactly {@code product(shape) x dtype size} bytes.
 */
public final class SafetensorsFile {
    /** The reference implementation refuses larger headers; so do we (a corrupt length would otherwise allocate GBs). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ValueLayout.OfLong HEADER_LENGTH = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final long byteSize;
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path path, long byteSize, Map<String, String> metadata, Map<String, Tensor> tensors) {
        this.path = path;
        this.byteSize = byteSize;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Maps {@code file} into {@code arena} and validates its header; the arena owns the mapping. */
    public static SafetensorsFile open(Path file, Arena arena) {
        MemorySegment mapped;
        long size;
        if (java.nio.file.Files.isDirectory(file)) {
            throw new SafetensorsException("safetensors file " + file + " is a directory, not a file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            size = channel.size();
            if (size < Long.BYTES) {
                throw new SafetensorsException("safetensors file " + file + " is truncated: it has " + size
                        + " bytes, fewer than the 8-byte header length that starts every safetensors file");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (IOException e) {
            throw new SafetensorsException("cannot read safetensors file " + file + ": " + IoErrors.reason(e), e);
        }
        return parse(file, mapped);
    }

    /** Parses and validates a safetensors image already in memory (the segment must outlive the tensors). */
    public static SafetensorsFile parse(Path file, MemorySegment bytes) {
        long size = bytes.byteSize();
        if (size < Long.BYTES) {
            throw new SafetensorsException("safetensors file " + file + " is truncated: it has " + size
                    + " bytes, fewer than the 8-byte header length that starts every safetensors file");
        }
        long headerLength = bytes.get(HEADER_LENGTH, 0);
        long available = size - Long.BYTES;
        // A negative long is an unsigned length above 2^63: certainly larger than the file.
        if (headerLength < 0 || headerLength > available) {
            throw new SafetensorsException("safetensors file " + file + ": header length "
                    + Long.toUnsignedString(headerLength) + " is larger than the " + available
                    + " bytes that follow it (file truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsException("safetensors file " + file + ": header length " + headerLength
                    + " exceeds the " + MAX_HEADER_BYTES + "-byte limit of the format");
        }
        byte[] headerBytes = bytes.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(headerBytes);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException("safetensors file " + file + ": header is not valid JSON at " + IoErrors.json(e));
        } catch (IOException e) {
            throw new SafetensorsException("safetensors file " + file + ": cannot read header: " + IoErrors.reason(e), e);
        }
        if (header == null || !header.isObject()) {
            throw new SafetensorsException("safetensors file " + file + ": header must be a JSON object of tensor entries, got "
                    + (header == null || header.isMissingNode() ? "nothing" : "a JSON " + header.getNodeType().name().toLowerCase()));
        }
        long dataStart = Long.BYTES + headerLength;
        long dataSize = size - dataStart;
        MemorySegment data = bytes.asSlice(dataStart, dataSize);

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals(METADATA_KEY)) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        checkNoOverlap(file, entries);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name, new Tensor(e.name, e.dtype, e.shape, data.asSlice(e.begin, e.end - e.begin)));
        }
        return new SafetensorsFile(file, size, metadata, tensors);
    }

    private record Entry(String name, WeightFormat dtype, long[] shape, long begin, long end) {
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SafetensorsException("safetensors file " + file + ": __metadata__ must be a JSON object of strings, got " + node);
        }
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = "tensor " + name + " in safetensors file " + file;
        if (!node.isObject()) {
            throw new SafetensorsException(where + ": entry must be a JSON object with dtype, shape and data_offsets, got " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsetsNode == null) {
            List<String> missing = new ArrayList<>();
            if (dtypeNode == null) missing.add("dtype");
            if (shapeNode == null) missing.add("shape");
            if (offsetsNode == null) missing.add("data_offsets");
            throw new SafetensorsException(where + ": entry lacks " + String.join(", ", missing));
        }
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsException(where + ": dtype must be a string, got " + dtypeNode);
        }
        WeightFormat dtype = WeightFormat.fromSafetensorsName(dtypeNode.asText());
        if (dtype == null) {
            throw new SafetensorsException("unsupported dtype " + dtypeNode.asText() + " for tensor " + name
                    + " in file " + file + " (supported: F32, F16, BF16)");
        }
        if (!shapeNode.isArray()) {
            throw new SafetensorsException(where + ": shape must be a list of non-negative integers, got " + shapeNode);
        }
        long[] shape = new long[shapeNode.size()];
        long bytes = dtype.blockBytes();
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new SafetensorsException(where + ": shape must be a list of non-negative integers, got " + shapeNode);
            }
            shape[i] = d.longValue();
            try {
                bytes = Math.multiplyExact(bytes, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(where + ": shape " + shapeNode + " is too large (byte size overflows)");
            }
        }
        if (!offsetsNode.isArray() || offsetsNode.size() != 2 || !isOffset(offsetsNode.get(0)) || !isOffset(offsetsNode.get(1))) {
            throw new SafetensorsException(where + ": data_offsets must be [begin, end] with non-negative integers, got " + offsetsNode);
        }
        long begin = offsetsNode.get(0).longValue();
        long end = offsetsNode.get(1).longValue();
        if (end < begin) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataSize) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] lie outside the data area of "
                    + dataSize + " bytes (file truncated or offsets corrupt)");
        }
        if (end - begin != bytes) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes but shape " + java.util.Arrays.toString(shape) + " x " + dtype + " (" + dtype.blockBytes()
                    + " bytes) needs " + bytes);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static boolean isOffset(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
    }

    private static void checkNoOverlap(Path file, List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin == e.end) {
                continue; // empty tensors occupy no bytes and cannot overlap anything
            }
            if (previous != null && e.begin < previous.end) {
                throw new SafetensorsException("safetensors file " + file + ": tensors " + previous.name + " [" + previous.begin
                        + ", " + previous.end + ") and " + e.name + " [" + e.begin + ", " + e.end + ") have overlapping data_offsets");
            }
            previous = e;
        }
    }

    public Path path() {
        return path;
    }

    /** Size of the file in bytes. */
    public long byteSize() {
        return byteSize;
    }

    /** The {@code __metadata__} entries (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The named tensor, or null when the file has none of that name. */
    public Tensor tensor(String name) {
        return tensors.get(name);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
