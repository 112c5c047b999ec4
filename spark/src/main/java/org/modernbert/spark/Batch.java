package org.modernbert.spark;

import org.modernbert.api.ModernBertException;
import org.modernbert.spark.RowTask.RowResult;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One batch of rows on its way through the model: rows that failed their checks keep their error,
 * the others go through one model call together. When that call fails, each row is retried alone, so
 * one bad row costs only its own result; when every row fails alone too, the failure is the task's.
 *
 * @param <T> what the model call takes per row (token ids, say)
 */
final class Batch<T> {
    private final List<RowResult> results = new ArrayList<>();
    private final List<T> inputs = new ArrayList<>();
    private final List<Integer> positions = new ArrayList<>();

    /** The next row failed before the model call. */
    void fail(String error) {
        results.add(RowResult.failed(error));
    }

    /** The next row goes to the model call. */
    void add(T input) {
        positions.add(results.size());
        results.add(null);
        inputs.add(input);
    }

    /** Runs {@code call} on the rows added (one result per input, in order) and returns every row's result. */
    List<RowResult> run(Function<List<T>, List<RowResult>> call) {
        if (inputs.isEmpty()) {
            return results;
        }
        List<RowResult> computed;
        try {
            computed = call.apply(inputs);
        } catch (ModernBertException batchFailed) {
            computed = new ArrayList<>(inputs.size());
            for (T input : inputs) {
                computed.add(alone(call, input));
            }
            if (computed.stream().allMatch(r -> r.error() != null)) {
                // Not a bad row but a bad executor (memory, device): fail the task, so Spark retries it elsewhere.
                throw batchFailed;
            }
        }
        for (int i = 0; i < positions.size(); i++) {
            results.set(positions.get(i), computed.get(i));
        }
        return results;
    }

    private static <T> RowResult alone(Function<List<T>, List<RowResult>> call, T input) {
        try {
            return call.apply(List.of(input)).getFirst();
        } catch (ModernBertException e) {
            return RowResult.failed(e.getMessage());
        }
    }
}
