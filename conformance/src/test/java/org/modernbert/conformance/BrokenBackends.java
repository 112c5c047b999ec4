package org.modernbert.conformance;

import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.conformance.example.ExampleExecutor;
import org.modernbert.conformance.example.ExampleKvCache;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The example backend with one planted fault each, and the checks of the kit that must catch it.
 * Each is a small subclass of {@link ExampleExecutor} (or of its cache) that breaks one rule of the
 * contract the way real backends get it wrong.
 */
enum BrokenBackends {
    /** Sliding layers see window + 1 positions. */
    WINDOW_OFF_BY_ONE(Set.of("executor.step[tiny-mbd]", "executor.cache-continuation", "model.forward[tiny-mbd]"), w -> new ExampleExecutor(w) {
        @Override
        protected int windowStart(int slot) {
            return Math.max(0, super.windowStart(slot) - 1);
        }
    }),

    /** Explicit position ids are dropped: every token gets its cache slot as position. */
    POSITIONS_IGNORED(Set.of("executor.positions", "model.position-ids"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            return super.step(inputs.stream().map(in -> in.withPositionIds((int[]) null)).toList());
        }
    }),

    /** Default positions counted over the whole step instead of each sequence's cache. */
    POSITIONS_ACROSS_THE_BATCH(Set.of("executor.ragged"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            List<SequenceInput> shifted = new ArrayList<>();
            int offset = 0;
            for (SequenceInput in : inputs) {
                if (in.positionIds() == null) {
                    int[] p = new int[in.length()];
                    for (int i = 0; i < p.length; i++) {
                        p[i] = offset + in.cache().length() + i;
                    }
                    in = in.withPositionIds(p);
                }
                offset += in.length();
                shifted.add(in);
            }
            return super.step(shifted);
        }
    }),

    /** fork() returns a cache with its own length but the source's key/value arrays. */
    FORK_SHARES_MEMORY(Set.of("executor.fork"), w -> new ExampleExecutor(w) {
        @Override
        protected ExampleKvCache createCache(CacheSpec spec) {
            return new SharingForks(super.createCache(spec));
        }
    }),

    /** truncate(n) for n > 0 keeps every position (only truncate(0) works). */
    TRUNCATE_KEEPS_POSITIONS(Set.of("executor.truncate", "executor.rollback"), w -> new ExampleExecutor(w) {
        @Override
        protected ExampleKvCache createCache(CacheSpec spec) {
            return new ExampleKvCache(super.createCache(spec)) {
                @Override
                public void truncate(int newLength) {
                    if (newLength == 0) {
                        super.truncate(0);
                    }
                }
            };
        }
    }),

    /**
     * How far back a truncate may go is counted from the current length, so a second truncate reaches
     * ring slots that the positions removed by the first had already overwritten.
     */
    TRUNCATE_LIMIT_FROM_THE_CURRENT_LENGTH(Set.of("executor.rollback"), w -> new ExampleExecutor(w) {
        @Override
        protected ExampleKvCache createCache(CacheSpec spec) {
            return new ExampleKvCache(super.createCache(spec)) {
                @Override
                public int minTruncateLength() {
                    return super.minTruncateLength() == 0 ? 0 : Math.max(0, length() - spec.rollback());
                }
            };
        }
    }),

    /** Sliding layers keep only the window, not window + rollback, yet truncate as if they had the rollback. */
    ROLLBACK_IGNORED(Set.of("executor.rollback"), w -> new ExampleExecutor(w) {
        @Override
        protected int slidingSlots(CacheSpec spec) {
            return super.slidingSlots(CacheSpec.of(spec.maxLength()));
        }
    }),

    /** ARGMAX ranks the first new position instead of the last. */
    ARGMAX_OF_THE_FIRST_ROW(Set.of("executor.heads", "model.greedy-batched[tiny-mbd]"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            List<SequenceOutput> out = super.step(inputs.stream()
                    .map(in -> in.head() instanceof Head.Argmax ? in.withHead(Head.ALL) : in).toList());
            List<SequenceOutput> fixed = new ArrayList<>();
            for (int s = 0; s < out.size(); s++) {
                SequenceOutput o = out.get(s);
                if (inputs.get(s).head() instanceof Head.Argmax) {
                    int vocab = weights().head().outputs();
                    float[] first = java.util.Arrays.copyOfRange(o.logits(), 0, vocab);
                    o = new SequenceOutput(null, Check.argmax(first), null, null, o.lastHiddenState(), o.hiddenStates(),
                            o.attentions());
                }
                fixed.add(o);
            }
            return fixed;
        }
    }),

    /** Top-k ids and logits returned smallest first. */
    TOPK_UNSORTED(Set.of("executor.heads"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            return super.step(inputs).stream().map(o -> o.topKIds() == null ? o
                    : new SequenceOutput(o.logits(), o.argmax(), reversed(o.topKIds()), reversed(o.topKLogits()),
                    o.lastHiddenState(), o.hiddenStates(), o.attentions())).toList();
        }
    }),

    /** hidden_states starts at layer 0's output instead of the embeddings' (the last entry twice). */
    HIDDEN_STATES_OFF_BY_ONE_LAYER(Set.of("executor.hidden-states", "model.outputs"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            return super.step(inputs).stream().map(o -> {
                if (o.hiddenStates() == null) {
                    return o;
                }
                List<float[]> shifted = new ArrayList<>(o.hiddenStates().subList(1, o.hiddenStates().size()));
                shifted.add(o.hiddenStates().getLast());
                return new SequenceOutput(o.logits(), o.argmax(), o.topKIds(), o.topKLogits(), o.lastHiddenState(), shifted,
                        o.attentions());
            }).toList();
        }
    }),

    /** Attention probabilities returned before normalisation (here: rows summing to 1.1). */
    ATTENTIONS_NOT_NORMALIZED(Set.of("executor.attentions", "model.outputs"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            return super.step(inputs).stream().map(o -> {
                if (o.attentions() == null) {
                    return o;
                }
                List<float[]> scaled = new ArrayList<>();
                for (float[] p : o.attentions()) {
                    float[] q = p.clone();
                    for (int i = 0; i < q.length; i++) {
                        q[i] *= 1.1f;
                    }
                    scaled.add(q);
                }
                return new SequenceOutput(o.logits(), o.argmax(), o.topKIds(), o.topKLogits(), o.lastHiddenState(),
                        o.hiddenStates(), scaled);
            }).toList();
        }
    }),

    /** A cache made by another executor is used as if it were its own. */
    FOREIGN_CACHE_ACCEPTED(Set.of("executor.errors"), w -> new ExampleExecutor(w) {
        @Override
        protected ExampleKvCache own(KvCache cache, int s) {
            return (ExampleKvCache) cache;
        }
    }),

    /** Sequences are validated and run one by one: a bad one is refused after the earlier ones advanced. */
    REFUSED_STEP_CHANGES_CACHES(Set.of("executor.errors", "executor.limits"), w -> new ExampleExecutor(w) {
        @Override
        public List<SequenceOutput> step(List<SequenceInput> inputs) {
            List<SequenceOutput> out = new ArrayList<>();
            for (SequenceInput in : inputs) {
                out.add(super.step(List.of(in)).getFirst());
            }
            return out;
        }
    }),

    /** limits() promises fewer sequences per step than the executor refuses. */
    LIMITS_NOT_ENFORCED(Set.of("executor.limits"), w -> new ExampleExecutor(w) {
        @Override
        public ExecutorLimits limits() {
            ExecutorLimits l = super.limits();
            return new ExecutorLimits(l.maxSequencesPerStep() / 2, l.maxTokensPerStep(), l.maxCachePositions(),
                    l.cacheBytesPerPosition());
        }
    }),

    /** cacheBytes() reports half of what a full cache holds. */
    CACHE_BYTES_UNDERSTATED(Set.of("executor.limits"), w -> new ExampleExecutor(w) {
        @Override
        public long cacheBytes(CacheSpec spec) {
            return super.cacheBytes(spec) / 2;
        }
    }),

    /** close() throws the second time. */
    CLOSE_TWICE_THROWS(Set.of("executor.close"), w -> new ExampleExecutor(w) {
        private boolean closedOnce;

        @Override
        public void close() {
            if (closedOnce) {
                throw new IllegalStateException("already closed");
            }
            closedOnce = true;
            super.close();
        }
    });

    /** The checks that must fail (others may fail too). */
    final Set<String> caughtBy;
    final Function<ModelWeights, ModelExecutor> executors;

    BrokenBackends(Set<String> caughtBy, Function<ModelWeights, ModelExecutor> executors) {
        this.caughtBy = caughtBy;
        this.executors = executors;
    }

    /** A cache whose forks share its key and value arrays (each keeps its own length). */
    static final class SharingForks extends ExampleKvCache {
        SharingForks(ExampleKvCache empty) {
            super(empty);
        }

        @Override
        public KvCache fork() {
            SharingForks source = this;
            return new ExampleKvCache(this) {
                @Override
                protected double[] keys(int layer) {
                    return source.keys(layer);
                }

                @Override
                protected double[] values(int layer) {
                    return source.values(layer);
                }
            };
        }
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    private static float[] reversed(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }
}
