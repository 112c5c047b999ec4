package org.modernbert.core.generation;

import org.modernbert.api.backend.HeadMode;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceStep;
import org.modernbert.api.backend.StepResult;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.ModelWeights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A deterministic stand-in for a backend: the "cache" records the ids it has seen and the logits of
 * the last position are a scripted function of that history. It checks what a real executor needs
 * (positions within the cache, HeadMode.LAST, no use after close) and that callers serialize its
 * calls, as the executor contract demands.
 */
final class ScriptedExecutor implements ModelExecutor {
    final Function<int[], float[]> script;
    final List<Integer> batchSizes = new ArrayList<>();
    final List<FakeCache> caches = new ArrayList<>();
    long sleepNanosPerStep;
    /** When positive, the step with this number (1 = the prefill) throws. */
    int failAtStep;
    private final AtomicInteger inCall = new AtomicInteger();
    private int stepCount;

    ScriptedExecutor(Function<int[], float[]> script) {
        this.script = script;
    }

    /** Logits with one high value at {@code next(history)}. */
    static ScriptedExecutor pointing(int vocab, Function<int[], Integer> next) {
        return new ScriptedExecutor(h -> {
            float[] l = new float[vocab];
            l[next.apply(h)] = 10f;
            return l;
        });
    }

    final class FakeCache implements KvCache {
        final int maxLength;
        int[] ids = new int[0];
        boolean closed;

        FakeCache(int maxLength) {
            this.maxLength = maxLength;
        }

        @Override
        public int length() {
            return ids.length;
        }

        @Override
        public int maxLength() {
            return maxLength;
        }

        @Override
        public void clear() {
            ids = new int[0];
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Override
    public ModelWeights weights() {
        throw new UnsupportedOperationException("no weights in a scripted executor");
    }

    @Override
    public KvCache newCache(int maxLength) {
        enter();
        try {
            FakeCache c = new FakeCache(maxLength);
            caches.add(c);
            return c;
        } finally {
            inCall.decrementAndGet();
        }
    }

    private void enter() {
        if (inCall.incrementAndGet() != 1) {
            inCall.decrementAndGet();
            throw new AssertionError("two threads inside the executor at once: callers must serialize");
        }
    }

    @Override
    public StepResult step(List<SequenceStep> steps, boolean hiddenStates, HeadMode head) {
        enter();
        try {
            return doStep(steps, head);
        } finally {
            inCall.decrementAndGet();
        }
    }

    private StepResult doStep(List<SequenceStep> steps, HeadMode head) {
        if (head != HeadMode.LAST) {
            throw new AssertionError("generation must ask for the last position only, got " + head);
        }
        if (++stepCount == failAtStep) {
            throw new IllegalStateException("scripted failure at step " + stepCount);
        }
        batchSizes.add(steps.size());
        List<float[]> out = new ArrayList<>();
        List<float[]> hidden = new ArrayList<>();
        for (SequenceStep s : steps) {
            FakeCache c = (FakeCache) s.cache();
            if (c.closed) {
                throw new AssertionError("step on a closed cache");
            }
            int[] next = Arrays.copyOf(c.ids, c.ids.length + s.tokenIds().length);
            System.arraycopy(s.tokenIds(), 0, next, c.ids.length, s.tokenIds().length);
            if (next.length > c.maxLength) {
                throw new AssertionError("cache overflow: " + next.length + " > " + c.maxLength);
            }
            c.ids = next;
            out.add(script.apply(next.clone()));
            hidden.add(null);
        }
        if (sleepNanosPerStep > 0) {
            try {
                Thread.sleep(sleepNanosPerStep / 1_000_000, (int) (sleepNanosPerStep % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new StepResult(hidden, out);
    }

    @Override
    public void close() {
    }
}
