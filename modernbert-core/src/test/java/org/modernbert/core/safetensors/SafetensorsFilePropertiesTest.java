package org.modernbert.core.safetensors;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.api.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Round trips of random files, and robustness: damaged files fail with a SafetensorsException, nothing else. */
class SafetensorsFilePropertiesTest {
    private static final Path NAME = Path.of("random.safetensors");

    record Spec(WeightFormat dtype, long[] shape) {
    }

    @Provide
    Arbitrary<List<Spec>> specs() {
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 5).array(long[].class).ofMaxSize(3);
        return Combinators.combine(Arbitraries.of(WeightFormat.F32, WeightFormat.F16, WeightFormat.BF16), shapes).as(Spec::new).list().ofMinSize(1).ofMaxSize(6);
    }

    private static SafetensorsWriter writer(List<Spec> specs) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            w.add("t" + i, s.dtype, s.shape, SafetensorsWriter.values("t" + i, SafetensorsWriter.product(s.shape)));
        }
        return w;
    }

    @Property(tries = 200)
    void roundTrip(@ForAll("specs") List<Spec> specs) {
        SafetensorsFile file = SafetensorsFile.parse(NAME, MemorySegment.ofArray(writer(specs).toBytes()));
        assertEquals(specs.size(), file.tensors().size());
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            Tensor t = file.tensor("t" + i);
            assertEquals(s.dtype, t.format());
            assertArrayEquals(s.shape, t.shape());
            float[] written = SafetensorsWriter.values("t" + i, SafetensorsWriter.product(s.shape));
            byte[] encoded = SafetensorsWriter.encode(s.dtype, written);
            assertEquals(-1, MemorySegment.ofArray(encoded).mismatch(t.data()), "bytes of t" + i);
        }
    }

    @Property(tries = 300)
    void everyTruncationFailsCleanly(@ForAll("specs") List<Spec> specs, @ForAll @IntRange(min = 1, max = 1000) int cut) {
        byte[] bytes = writer(specs).toBytes();
        long dataBytes = specs.stream().mapToLong(s -> SafetensorsWriter.product(s.shape) * s.dtype.blockBytes()).sum();
        if (dataBytes == 0) {
            return; // nothing to cut into beyond the header
        }
        byte[] truncated = Arrays.copyOf(bytes, (int) Math.max(0, bytes.length - 1 - (cut % bytes.length)));
        try (Arena arena = Arena.ofConfined()) {
            org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class,
                    () -> SafetensorsFile.parse(NAME, arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, truncated)));
        }
    }

    @Property(tries = 300)
    void corruptHeadersFailOnlyWithSafetensorsException(@ForAll("specs") List<Spec> specs, @ForAll @IntRange(min = 0, max = 10_000) int at,
                                                       @ForAll byte value) {
        byte[] bytes = writer(specs).toBytes();
        int headerEnd = 8 + (int) MemorySegment.ofArray(bytes).get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
        bytes[at % headerEnd] = value;
        try {
            SafetensorsFile.parse(NAME, MemorySegment.ofArray(bytes));
        } catch (SafetensorsException expected) {
            // a clear error is fine; any other exception type fails the property
        }
    }
}
