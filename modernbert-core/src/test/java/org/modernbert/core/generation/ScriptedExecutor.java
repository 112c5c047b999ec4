package org.modernbert.core.generation;

import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
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
 * (positions within the cache, a head only at the last position, no use after close) and that
 * callers serialize its calls, as the executor contract demands. It counts steps, sequences and
 * tokens, so tests can see what was prefilled.
 */
final class ScriptedExecutor implements ModelExecutor {
    final Function<int[], float[]> script;
    final List<Integer> batchSizes = new ArrayList<>();
    /** New tokens per step, summed over its sequences. */
    final List<Integer> stepTokens = new ArrayList<>();
    /** The head asked for in each step after the prefill, of its first sequence. */
    final List<Head> decodeHeads = new ArrayList<>();
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
        public long byteSize() {
            return cacheBytesPerPosition * maxLength;
        }

        @Override
        public KvCache fork() {
            if (closed) {
                throw new AssertionError("fork of a closed cache");
            }
            FakeCache copy = new FakeCache(maxLength);
            copy.ids = ids.clone();
            caches.add(copy);
            return copy;
        }

        @Override
        public void truncate(int newLength) {
            ids = Arrays.copyOf(ids, newLength);
        }

        @Override
        public int minTruncateLength() {
            return 0;
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

    /** Limits this executor reports and enforces (tests of callers that must respect them). */
    int maxSequences = 1024;
    int maxTokens = 1 << 20;

    @Override
    public ExecutorLimits limits() {
        return new ExecutorLimits(maxSequences, maxTokens, 1 << 20, 4);
    }

    /** What {@link #cacheBytes} reports per position (tests of the memory check make it large). */
    long cacheBytesPerPosition = 4;
    /** The specs {@link #cacheBytes} was asked about. */
    final List<CacheSpec> cacheBytesAsked = new ArrayList<>();

    @Override
    public long cacheBytes(CacheSpec spec) {
        cacheBytesAsked.add(spec);
        return cacheBytesPerPosition * spec.maxLength();
    }

    @Override
    public KvCache newCache(CacheSpec spec) {
        enter();
        try {
            FakeCache c = new FakeCache(spec.maxLength());
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
    public List<SequenceOutput> step(List<SequenceInput> inputs) {
        enter();
        try {
            return doStep(inputs);
        } finally {
            inCall.decrementAndGet();
        }
    }

    private List<SequenceOutput> doStep(List<SequenceInput> inputs) {
        if (++stepCount == failAtStep) {
            throw new IllegalStateException("scripted failure at step " + stepCount);
        }
        int total = inputs.stream().mapToInt(SequenceInput::length).sum();
        if (inputs.size() > maxSequences || total > maxTokens) {
            throw new AssertionError("step of " + inputs.size() + " sequences / " + total + " tokens exceeds the limits");
        }
        batchSizes.add(inputs.size());
        stepTokens.add(inputs.stream().mapToInt(SequenceInput::length).sum());
        if (stepCount > 1 && inputs.getFirst().length() == 1) {
            decodeHeads.add(inputs.getFirst().head());
        }
        List<SequenceOutput> out = new ArrayList<>();
        for (SequenceInput in : inputs) {
            if (in.head() instanceof Head.All || in.head() instanceof Head.TopK) {
                throw new AssertionError("generation asks for the last position's logits or argmax, got " + in.head());
            }
            FakeCache c = (FakeCache) in.cache();
            if (c.closed) {
                throw new AssertionError("step on a closed cache");
            }
            int[] next = Arrays.copyOf(c.ids, c.ids.length + in.tokenIds().length);
            System.arraycopy(in.tokenIds(), 0, next, c.ids.length, in.tokenIds().length);
            if (next.length > c.maxLength) {
                throw new AssertionError("cache overflow: " + next.length + " > " + c.maxLength);
            }
            c.ids = next;
            float[] logits = in.head() instanceof Head.None ? null : script.apply(next.clone());
            int argmax = -1;
            if (in.head() instanceof Head.Argmax) {
                argmax = 0;
                for (int i = 1; i < logits.length; i++) {
                    argmax = logits[i] > logits[argmax] ? i : argmax;
                }
                logits = null;
            }
            out.add(new SequenceOutput(logits, argmax, null, null, null, null, null));
        }
        if (sleepNanosPerStep > 0) {
            try {
                Thread.sleep(sleepNanosPerStep / 1_000_000, (int) (sleepNanosPerStep % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return out;
    }

    @Override
    public void close() {
    }
}
