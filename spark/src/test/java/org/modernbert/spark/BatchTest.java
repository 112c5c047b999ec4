package org.modernbert.spark;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.spark.RowTask.RowResult;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchTest {
    /** A model call that fails on the words in {@code bad} and records its batch sizes. */
    private static Function<List<String>, List<RowResult>> call(List<String> bad, List<Integer> sizes) {
        return inputs -> {
            sizes.add(inputs.size());
            List<RowResult> out = new ArrayList<>();
            for (String s : inputs) {
                if (bad.contains(s)) {
                    throw new ModernBertException("cannot take " + s);
                }
                out.add(new RowResult(new Object[]{s.length()}, null));
            }
            return out;
        };
    }

    @Test
    void rowsThatFailedTheirChecksKeepTheirPlaceAndTheRestGoTogether() {
        Batch<String> batch = new Batch<>();
        batch.add("a");
        batch.fail("text is empty");
        batch.add("bbb");
        List<Integer> sizes = new ArrayList<>();
        List<RowResult> results = batch.run(call(List.of(), sizes));
        assertEquals(List.of(2), sizes, "one model call for the two good rows");
        assertEquals(1, results.get(0).values()[0]);
        assertEquals("text is empty", results.get(1).error());
        assertEquals(3, results.get(2).values()[0]);
    }

    @Test
    void whenTheBatchFailsEachRowIsRetriedAloneAndOnlyTheBadOneFails() {
        Batch<String> batch = new Batch<>();
        for (String s : List.of("a", "bad", "cc")) {
            batch.add(s);
        }
        List<Integer> sizes = new ArrayList<>();
        List<RowResult> results = batch.run(call(List.of("bad"), sizes));
        assertEquals(List.of(3, 1, 1, 1), sizes);
        assertNull(results.get(0).error());
        assertEquals("cannot take bad", results.get(1).error());
        assertEquals(2, results.get(2).values()[0]);
    }

    @Test
    void whenEveryRowFailsAloneTooTheTaskFails() {
        Batch<String> batch = new Batch<>();
        batch.add("x");
        batch.add("y");
        ModernBertException e = assertThrows(ModernBertException.class, () -> batch.run(call(List.of("x", "y"), new ArrayList<>())));
        assertEquals("cannot take x", e.getMessage(), "the batch's own failure, for Spark to retry the task");
        Batch<String> none = new Batch<>();
        none.fail("text is null");
        List<RowResult> results = none.run(call(List.of(), new ArrayList<>()));
        assertEquals("text is null", results.getFirst().error());
    }
}
