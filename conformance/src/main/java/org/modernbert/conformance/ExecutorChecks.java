package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.tensor.Tensor;
import org.modernbert.conformance.Check.Measure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.modernbert.conformance.Comparison.Quantity.ATTENTIONS;
import static org.modernbert.conformance.Comparison.Quantity.HIDDEN_STATES;
import static org.modernbert.conformance.Comparison.Quantity.LOGITS;

/**
 * Checks of the {@link ModelExecutor} and {@link KvCache} contract, run on the executor of a fixture
 * model: steps against the reference, ragged batches, the cache (continuation, fork, truncate,
 * rollback past the sliding window, clear), every head mode, embeddings and explicit positions,
 * per-layer outputs, limits, refused input and closing. {@code tiny-mbd} has a sliding window of 8
 * on four of its six layers, so sequences of 20 and more tokens run past it.
 */
public abstract class ExecutorChecks extends ConformanceKit {
    /** The fixture the executor checks run on (the only one with {@code golden-kwargs.json}). */
    static final String MODEL = "tiny-mbd";

    private ModelExecutor executor() {
        return causalLm(MODEL).executor();
    }

    private ModernBertDecoderConfig config() {
        return causalLm(MODEL).config();
    }

    private int vocab() {
        return config().vocabSize();
    }

    /** The 100-token row of {@code tiny-mbd}'s golden forward cases, with its reference logits. */
    private int[] longRow() {
        return ints(ReferenceFixtures.golden(MODEL).get("forward").get(2).get("input_ids").get(0));
    }

    private double[] longRowLogits() {
        return flat(ReferenceFixtures.golden(MODEL).get("forward").get(2).get("logits").get(0));
    }

    // ------------------------------------------------------------------ steps against the reference

    @ParameterizedTest(name = "executor.step[{0}]")
    @MethodSource("causalModels")
    @DisplayName("executor.step")
    void stepMatchesTheReference(String fixture) {
        Check c = check();
        Measure logits = c.reference("logits", LOGITS, Tolerance.ACTIVATIONS);
        Measure hidden = c.reference("last hidden state", HIDDEN_STATES, Tolerance.ACTIVATIONS);
        ModelExecutor ex = causalLm(fixture).executor();
        int caseIndex = 0;
        for (JsonNode cs : ReferenceFixtures.golden(fixture).get("forward")) {
            List<int[]> rows = rows(cs.get("input_ids"));
            for (int r = 0; r < rows.size(); r++) {
                int[] ids = rows.get(r);
                try (KvCache cache = ex.newCache(ids.length)) {
                    Fed out = feed(ex, cache, ids);
                    c.expect("cache length after the step", cache.length() == ids.length,
                            "holds " + cache.length() + " positions after " + ids.length + " tokens");
                    String where = "case " + caseIndex + " row " + r + ", " + ids.length + " tokens";
                    logits.compare(where, flat(cs.get("logits").get(r)), out.logits());
                    hidden.compare(where, flat(cs.get("last_hidden_state").get(r)), out.lastHidden());
                }
            }
            caseIndex++;
        }
    }

    @Test
    @DisplayName("executor.ragged")
    void raggedStepEqualsEachSequenceAlone() {
        Check c = check();
        ModelExecutor ex = executor();
        JsonNode forward = ReferenceFixtures.golden(MODEL).get("forward");
        JsonNode ragged = forward.get(1);
        List<int[]> rows = rows(ragged.get("input_ids"));
        int[] long40 = ints(forward.get(0).get("input_ids").get(0));
        int tokens = rows.stream().mapToInt(r -> r.length).sum() + 1;
        ExecutorLimits limits = ex.limits();
        if (limits.maxSequencesPerStep() < rows.size() + 1 || limits.maxTokensPerStep() < tokens) {
            c.skip("ragged step", "the executor's limits (" + limits.maxSequencesPerStep() + " sequences, "
                    + limits.maxTokensPerStep() + " tokens) are below this step's " + (rows.size() + 1) + " and " + tokens);
            return;
        }
        Measure vsAlone = c.consistency("logits, batched vs alone", LOGITS, Tolerance.ACTIVATIONS);
        Measure vsReference = c.reference("logits", LOGITS, Tolerance.ACTIVATIONS);
        List<KvCache> caches = new ArrayList<>();
        try {
            List<SequenceInput> inputs = new ArrayList<>();
            for (int[] row : rows) {
                KvCache cache = ex.newCache(row.length);
                caches.add(cache);
                inputs.add(SequenceInput.tokens(cache, row).withHead(Head.ALL));
            }
            // a decode step of a sequence that already holds 39 positions, in the same step as three prefills
            KvCache decoding = ex.newCache(long40.length);
            caches.add(decoding);
            prefill(ex, decoding, slice(long40, 0, 39));
            inputs.add(SequenceInput.tokens(decoding, long40[39]).withHead(Head.ALL));
            List<SequenceOutput> out = step(ex, inputs.toArray(SequenceInput[]::new));
            for (int r = 0; r < rows.size(); r++) {
                vsAlone.compare("row " + r, fresh(ex, rows.get(r)).logits(), out.get(r).logits());
                vsReference.compare("row " + r, flat(ragged.get("logits").get(r)), out.get(r).logits());
            }
            Fed alone = fresh(ex, long40);
            vsAlone.compare("decode step at position 39", alone.logitRows(39, 40, vocab()), out.get(rows.size()).logits());
            double[] golden = flat(forward.get(0).get("logits").get(0));
            vsReference.compare("decode step at position 39", Arrays.copyOfRange(golden, 39 * vocab(), 40 * vocab()),
                    out.get(rows.size()).logits());
            for (int r = 0; r < rows.size(); r++) {
                c.expect("each cache advanced by its own tokens", caches.get(r).length() == rows.get(r).length,
                        "row " + r + " holds " + caches.get(r).length() + " positions after " + rows.get(r).length + " tokens");
            }
        } finally {
            KvCache.closeAll(caches);
        }
    }

    // ------------------------------------------------------------------ the cache

    @Test
    @DisplayName("executor.cache-continuation")
    void continuationThroughTheCacheEqualsOneStep() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = longRow();
        double[] golden = longRowLogits();
        float[] oneStep = fresh(ex, ids).logits();

        // in uneven chunks, past the sliding window, each chunk seeing the cache of the earlier ones
        Measure chunksRef = c.reference("logits, prefill in chunks", LOGITS, Tolerance.ACTIVATIONS);
        Measure chunksSelf = c.consistency("logits, chunks vs one step", LOGITS, Tolerance.ACTIVATIONS);
        int[] sizes = {1, 7, 16, 3, 33, 40};
        List<float[]> parts = new ArrayList<>();
        try (KvCache cache = ex.newCache(ids.length)) {
            int from = 0;
            for (int size : sizes) {
                parts.add(feed(ex, cache, slice(ids, from, from + size)).logits());
                from += size;
            }
            c.expect("cache length after the chunks", cache.length() == ids.length,
                    "holds " + cache.length() + " positions after " + ids.length + " tokens");
        }
        float[] chunked = concat(parts);
        chunksRef.compare("chunks " + Arrays.toString(sizes), golden, chunked);
        chunksSelf.compare("chunks " + Arrays.toString(sizes), oneStep, chunked);

        // one token at a time (the decode loop), LAST head
        Measure tokensRef = c.reference("logits, token by token", LOGITS, Tolerance.ACTIVATIONS);
        Measure tokensSelf = c.consistency("logits, token by token vs one step", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(CacheSpec.of(40))) {
            for (int t = 0; t < 40; t++) {
                float[] last = step(ex, SequenceInput.tokens(cache, ids[t])).getFirst().logits();
                tokensRef.compare("position " + t, Arrays.copyOfRange(golden, t * v, (t + 1) * v), last);
                tokensSelf.compare("position " + t, Arrays.copyOfRange(oneStep, t * v, (t + 1) * v), last);
            }
        }
    }

    @Test
    @DisplayName("executor.fork")
    void forkIsIndependent() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = longRow();
        int[] prefix = slice(ids, 0, 20);
        int[] a = slice(ids, 20, 23);
        int[] b = slice(ids, 60, 63);
        int[] cTail = slice(ids, 23, 25);
        int[] d = slice(ids, 25, 27);
        int[] x = slice(ids, 70, 72);
        int[] y = slice(ids, 80, 82);
        Measure original = c.consistency("original after its fork stepped", LOGITS, Tolerance.ACTIVATIONS);
        Measure fork = c.consistency("fork vs a fresh cache", LOGITS, Tolerance.ACTIVATIONS);
        Measure afterClose = c.consistency("original after its fork was closed", LOGITS, Tolerance.ACTIVATIONS);
        Measure together = c.consistency("two forks in one step", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache source = ex.newCache(40)) {
            prefill(ex, source, prefix);
            float[] a1;
            float[] b1;
            float[] c1;
            try (KvCache copy = source.fork()) {
                c.expect("fork holds the same positions", copy.length() == source.length() && copy.maxLength() == source.maxLength(),
                        "fork has length " + copy.length() + " / max " + copy.maxLength() + ", source " + source.length() + " / "
                                + source.maxLength());
                c.expect("fork is another cache", copy != source, "fork() returned the cache itself");
                a1 = step(ex, SequenceInput.tokens(source, a).withHead(Head.ALL)).getFirst().logits();
                b1 = step(ex, SequenceInput.tokens(copy, b).withHead(Head.ALL)).getFirst().logits();
                c1 = step(ex, SequenceInput.tokens(source, cTail).withHead(Head.ALL)).getFirst().logits();
                c.expect("fork advanced alone", copy.length() == 23 && source.length() == 25,
                        "after 3 tokens on each and 2 more on the source: fork " + copy.length() + ", source " + source.length());
            }
            Fed withA = fresh(ex, concat(prefix, a, cTail, d, x));
            original.compare("tokens after the prefix", withA.logitRows(20, 23, v), a1);
            original.compare("tokens after the fork stepped", withA.logitRows(23, 25, v), c1);
            fork.compare("fork's tokens after the prefix", fresh(ex, concat(prefix, b)).logitRows(20, 23, v), b1);
            float[] d1 = step(ex, SequenceInput.tokens(source, d).withHead(Head.ALL)).getFirst().logits();
            afterClose.compare("tokens after the fork was closed", withA.logitRows(25, 27, v), d1);

            try (KvCache f1 = source.fork(); KvCache f2 = source.fork()) {
                List<SequenceOutput> out = step(ex, SequenceInput.tokens(f1, x).withHead(Head.ALL),
                        SequenceInput.tokens(f2, y).withHead(Head.ALL));
                together.compare("first fork", withA.logitRows(27, 29, v), out.get(0).logits());
                together.compare("second fork", fresh(ex, concat(prefix, a, cTail, d, y)).logitRows(27, 29, v), out.get(1).logits());
            }
            c.expect("source unchanged by its forks", source.length() == 27, "source holds " + source.length() + " positions, expected 27");
        }
    }

    @Test
    @DisplayName("executor.truncate")
    void truncateForgetsTheRemovedPositions() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = longRow();
        int[] six = slice(ids, 0, 6);
        int[] other = slice(ids, 50, 54);
        Measure different = c.consistency("different tokens after truncate", LOGITS, Tolerance.ACTIVATIONS);
        Measure same = c.consistency("the same tokens after truncate", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(40)) {
            float[] original = feed(ex, cache, six).logits();
            c.expect("minTruncateLength() is 0 while every position is held", cache.minTruncateLength() == 0,
                    "minTruncateLength() is " + cache.minTruncateLength() + " after " + cache.length()
                            + " positions, fewer than a sliding window: truncate(n) must work for any n <= length()");
            cache.truncate(cache.length());
            c.expect("truncate to the current length is a no-op", cache.length() == 6, "length " + cache.length() + ", expected 6");
            c.refused("truncate past the end refused", () -> cache.truncate(7));
            cache.truncate(3);
            c.expect("length after truncate", cache.length() == 3, "length " + cache.length() + " after truncate(3)");
            float[] after = feed(ex, cache, other).logits();
            different.compare("3 kept + 4 new tokens", fresh(ex, concat(slice(six, 0, 3), other)).logitRows(3, 7, v), after);
            cache.truncate(2);
            float[] again = feed(ex, cache, slice(six, 2, 6)).logits();
            same.compare("re-fed positions 2..5", Arrays.copyOfRange(original, 2 * v, 6 * v), again);
            cache.truncate(0);
            c.expect("truncate(0) empties the cache", cache.length() == 0, "length " + cache.length() + " after truncate(0)");
        }
    }

    @Test
    @DisplayName("executor.rollback")
    void rollbackIsHonouredPastTheSlidingWindow() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int window = config().slidingWindow();
        int rollback = 5;
        int n = 3 * window;
        int[] ids = longRow();
        int[] seq = slice(ids, 0, n);
        int[] other = slice(ids, 60, 60 + rollback);
        Measure different = c.consistency("different tokens after rolling back past the window", LOGITS, Tolerance.ACTIVATIONS);
        Measure same = c.consistency("the same tokens after rolling back past the window", LOGITS, Tolerance.ACTIVATIONS);
        Measure after = c.consistency("continuing after a refused truncate", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(new CacheSpec(2 * n, rollback))) {
            float[] original = feed(ex, cache, seq).logits();
            int min = cache.minTruncateLength();
            c.expect("the last rollback positions can be removed", min <= n - rollback,
                    "minTruncateLength() is " + min + " after " + n + " positions with rollback " + rollback + " (must be <= "
                            + (n - rollback) + ")");
            cache.truncate(n - rollback);
            c.expect("length after rollback", cache.length() == n - rollback, "length " + cache.length());
            float[] diff = feed(ex, cache, other).logits();
            different.compare(rollback + " new tokens at position " + (n - rollback),
                    fresh(ex, concat(slice(seq, 0, n - rollback), other)).logitRows(n - rollback, n, v), diff);
            cache.truncate(n - rollback);
            float[] again = feed(ex, cache, slice(seq, n - rollback, n)).logits();
            same.compare("re-fed positions " + (n - rollback) + ".." + (n - 1),
                    Arrays.copyOfRange(original, (n - rollback) * v, n * v), again);

            int lowest = cache.minTruncateLength();
            if (lowest > 0) {
                c.refused("truncate below minTruncateLength() refused", () -> cache.truncate(lowest - 1));
                c.expect("a refused truncate changes nothing", cache.length() == n, "length " + cache.length() + ", expected " + n);
                float[] next = feed(ex, cache, new int[]{ids[n]}).logits();
                after.compare("position " + n, fresh(ex, slice(ids, 0, n + 1)).logitRows(n, n + 1, v), next);
            } else {
                c.skip("truncate below minTruncateLength() refused", "the cache holds every position (minTruncateLength() is 0)");
            }
        }
        // a second truncate cannot go further back than the first could: the slots of the positions the
        // first one removed have already overwritten older ones
        Measure twice = c.consistency("re-fed after a second truncate was refused", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(new CacheSpec(2 * n, rollback))) {
            prefill(ex, cache, seq);
            cache.truncate(n - rollback);
            int second = cache.minTruncateLength();
            c.expect("a truncate does not move minTruncateLength() back", second >= n - rollback,
                    "after truncating " + n + " positions to " + (n - rollback) + ", minTruncateLength() is " + second
                            + ", but the ring no longer holds the positions before " + (n - rollback));
            c.refused("a second truncate further back refused", () -> cache.truncate(n - rollback - 1));
            float[] refed = feed(ex, cache, slice(seq, n - rollback, n)).logits();
            twice.compare("positions " + (n - rollback) + ".." + (n - 1), fresh(ex, seq).logitRows(n - rollback, n, v), refed);
        }
        // without rollback, a sliding cache past its window still continues, and says how far back it can go
        try (KvCache cache = ex.newCache(CacheSpec.of(2 * n))) {
            prefill(ex, cache, seq);
            int min = cache.minTruncateLength();
            c.expect("minTruncateLength() within the cache", min >= 0 && min <= n, "minTruncateLength() is " + min + " at length " + n);
            if (min > 0) {
                c.refused("truncate below minTruncateLength() refused", () -> cache.truncate(min - 1));
            }
        }
    }

    @Test
    @DisplayName("executor.clear")
    void clearedCacheStartsOver() {
        Check c = check();
        ModelExecutor ex = executor();
        int[] ids = slice(longRow(), 0, 12);
        Measure m = c.consistency("the same tokens after clear()", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(16)) {
            float[] first = feed(ex, cache, ids).logits();
            cache.clear();
            c.expect("length after clear()", cache.length() == 0, "length " + cache.length());
            m.compare("12 tokens", first, feed(ex, cache, ids).logits());
        }
    }

    // ------------------------------------------------------------------ head modes

    @Test
    @DisplayName("executor.heads")
    void everyHeadModeAgreesWithTheFullLogits() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = headProbe(ex);
        int n = ids.length;
        Head[] heads = {Head.ALL, Head.LAST, Head.ARGMAX, Head.topK(5), Head.NONE, Head.topK(1)};
        List<KvCache> caches = new ArrayList<>();
        try {
            List<SequenceInput> inputs = new ArrayList<>();
            for (Head h : heads) {
                KvCache cache = ex.newCache(n + 1);
                caches.add(cache);
                inputs.add(SequenceInput.tokens(cache, ids).withHead(h));
            }
            List<SequenceOutput> out = step(ex, inputs.toArray(SequenceInput[]::new));
            float[] all = out.get(0).logits();
            c.expect("ALL returns every position", all != null && all.length == n * v,
                    "logits of " + (all == null ? "null" : all.length) + " values, expected " + n * v);
            float[] lastRow = Arrays.copyOfRange(all, (n - 1) * v, n * v);
            float[] last = out.get(1).logits();
            c.expect("LAST returns one position", last != null && last.length == v,
                    "logits of " + (last == null ? "null" : last.length) + " values, expected " + v);
            c.consistency("LAST vs the last row of ALL", LOGITS, Tolerance.ACTIVATIONS).compare("", lastRow, last);
            c.consistency("ARGMAX vs the last row of ALL", LOGITS, Tolerance.ACTIVATIONS)
                    .compareChoice(n + " tokens", lastRow, out.get(2).argmax());
            checkTopK(c, "TOPK(5)", lastRow, out.get(3), 5);
            checkTopK(c, "TOPK(1)", lastRow, out.get(5), 1);
            SequenceOutput none = out.get(4);
            c.expect("NONE returns no head output", none.logits() == null && none.argmax() == -1 && none.topKIds() == null
                    && none.topKLogits() == null, "NONE returned logits, an argmax or top-k");
            c.expect("unasked outputs are null", none.lastHiddenState() == null && none.hiddenStates() == null
                    && none.attentions() == null, "hidden states or attentions returned without being asked for");
            c.expect("ARGMAX returns no logits", out.get(2).logits() == null, "ARGMAX returned logits too");
            for (int i = 0; i < heads.length; i++) {
                c.expect("every head mode advances its cache", caches.get(i).length() == n,
                        heads[i] + " left the cache at " + caches.get(i).length() + " positions");
            }
            // a decode step (one new token after a cached prefix) with the cheap modes
            List<SequenceOutput> decode = step(ex, SequenceInput.tokens(caches.get(4), ids[0]).withHead(Head.ALL),
                    SequenceInput.tokens(caches.get(2), ids[0]).withHead(Head.ARGMAX),
                    SequenceInput.tokens(caches.get(3), ids[0]).withHead(Head.topK(5)));
            float[] decodeAll = decode.get(0).logits();
            c.consistency("ARGMAX vs the last row of ALL", LOGITS, Tolerance.ACTIVATIONS)
                    .compareChoice("decode step", decodeAll, decode.get(1).argmax());
            checkTopK(c, "TOPK(5)", decodeAll, decode.get(2), 5);
        } finally {
            KvCache.closeAll(caches);
        }
    }

    /**
     * A prompt whose first and last positions have different argmax tokens, so a head that ranks the
     * wrong row is caught.
     */
    private int[] headProbe(ModelExecutor ex) {
        int[] ids = longRow();
        int v = vocab();
        for (int start = 0; start + 12 <= ids.length; start += 12) {
            int[] probe = slice(ids, start, start + 12);
            float[] all = fresh(ex, probe).logits();
            if (Check.argmax(Arrays.copyOfRange(all, 0, v)) != Check.argmax(Arrays.copyOfRange(all, 11 * v, 12 * v))) {
                return probe;
            }
        }
        return slice(ids, 0, 12);
    }

    private static void checkTopK(Check c, String mode, float[] logits, SequenceOutput out, int k) {
        int[] ids = out.topKIds();
        float[] values = out.topKLogits();
        c.expect(mode + " returns k ids and logits", ids != null && values != null && ids.length == k && values.length == k,
                "returned " + (ids == null ? "no ids" : ids.length + " ids") + " and " + (values == null ? "no logits" : values.length
                        + " logits"));
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> logits[p] != logits[q] ? Float.compare(logits[q], logits[p]) : Integer.compare(p, q));
        float[] expectedValues = new float[k];
        float[] chosenValues = new float[k];
        for (int i = 0; i < k; i++) {
            expectedValues[i] = logits[order[i]];
            c.expect(mode + " ids are valid", ids[i] >= 0 && ids[i] < logits.length, "id " + ids[i] + " at rank " + i);
            chosenValues[i] = logits[ids[i]];
        }
        // rank i must hold the i-th largest logit (a near-tie may swap ids, not values)
        c.consistency(mode + " ids, largest first", LOGITS, Tolerance.ACTIVATIONS).compare("rank by rank", expectedValues, chosenValues);
        c.consistency(mode + " logits", LOGITS, Tolerance.ACTIVATIONS).compare("at the returned ids", chosenValues, values);
        c.expect(mode + " ids distinct", Arrays.stream(ids).distinct().count() == k, "ids " + Arrays.toString(ids));
        for (int i = 1; i < k; i++) {
            c.expect(mode + " sorted largest first", values[i] <= values[i - 1],
                    "logit " + values[i] + " at rank " + i + " after " + values[i - 1]);
        }
    }

    // ------------------------------------------------------------------ embeddings and positions

    @Test
    @DisplayName("executor.inputs-embeds")
    void embeddingRowsGiveTheSameLogitsAsIds() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = slice(longRow(), 0, 12);
        FloatMatrix rows = embeddingRows(ex, ids);
        Measure vsIds = c.consistency("embedding rows vs ids", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache byIds = ex.newCache(12); KvCache byRows = ex.newCache(12); KvCache mixed = ex.newCache(12)) {
            List<SequenceOutput> out = step(ex, SequenceInput.tokens(byIds, ids).withHead(Head.ALL),
                    SequenceInput.embeddings(byRows, rows).withHead(Head.ALL));
            vsIds.compare("12 tokens, one step", out.get(0).logits(), out.get(1).logits());
            prefill(ex, mixed, slice(ids, 0, 6));
            FloatMatrix tail = new FloatMatrix(6, rows.cols(), Arrays.copyOfRange(rows.data(), 6 * rows.cols(), 12 * rows.cols()));
            float[] cont = step(ex, SequenceInput.embeddings(mixed, tail).withHead(Head.ALL)).getFirst().logits();
            vsIds.compare("embedding rows after cached ids", Arrays.copyOfRange(out.get(0).logits(), 6 * v, 12 * v), cont);
        }
        JsonNode golden = ReferenceFixtures.goldenKwargs().get("inputs_embeds");
        double[] embeds = flat(golden.get("inputs_embeds").get(0));
        int tokens = golden.get("inputs_embeds").get(0).size();
        float[] data = new float[embeds.length];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) embeds[i];
        }
        try (KvCache cache = ex.newCache(tokens)) {
            float[] logits = step(ex, SequenceInput.embeddings(cache, new FloatMatrix(tokens, embeds.length / tokens, data))
                    .withHead(Head.ALL)).getFirst().logits();
            c.reference("logits of the reference inputs_embeds", LOGITS, Tolerance.ACTIVATIONS)
                    .compare(tokens + " vectors", flat(golden.get("logits").get(0)), logits);
        }
    }

    /** The token embedding rows of {@code ids}, read from the executor's weights (as the model would look them up). */
    static FloatMatrix embeddingRows(ModelExecutor ex, int[] ids) {
        Tensor table = ex.weights().tokenEmbeddings();
        int hidden = (int) table.dim(1);
        float[] data = new float[ids.length * hidden];
        for (int t = 0; t < ids.length; t++) {
            for (int i = 0; i < hidden; i++) {
                data[t * hidden + i] = table.getFloat((long) ids[t] * hidden + i);
            }
        }
        return new FloatMatrix(ids.length, hidden, data);
    }

    @Test
    @DisplayName("executor.positions")
    void explicitPositionsAreUsed() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int[] ids = slice(longRow(), 0, 12);
        Measure same = c.consistency("explicit default positions vs none", LOGITS, Tolerance.ACTIVATIONS);
        try (KvCache plain = ex.newCache(12); KvCache explicit = ex.newCache(12); KvCache cached = ex.newCache(12)) {
            List<SequenceOutput> out = step(ex, SequenceInput.tokens(plain, ids).withHead(Head.ALL),
                    SequenceInput.tokens(explicit, ids).withHead(Head.ALL).withPositionIds(range(0, 12)));
            same.compare("positions 0..11", out.get(0).logits(), out.get(1).logits());
            prefill(ex, cached, slice(ids, 0, 5));
            float[] tail = step(ex, SequenceInput.tokens(cached, slice(ids, 5, 12)).withHead(Head.ALL).withPositionIds(range(5, 12)))
                    .getFirst().logits();
            same.compare("positions 5..11 after a cached prefix", Arrays.copyOfRange(out.get(0).logits(), 5 * v, 12 * v), tail);
        }
        JsonNode golden = ReferenceFixtures.goldenKwargs().get("position_ids");
        int[] gIds = ints(golden.get("input_ids").get(0));
        int[] gPos = ints(golden.get("position_ids").get(0));
        float[] uneven;
        try (KvCache cache = ex.newCache(gIds.length)) {
            uneven = step(ex, SequenceInput.tokens(cache, gIds).withHead(Head.ALL).withPositionIds(gPos)).getFirst().logits();
        }
        c.reference("logits with uneven position_ids", LOGITS, Tolerance.ACTIVATIONS)
                .compare("positions " + Arrays.toString(gPos), flat(golden.get("logits").get(0)), uneven);
        float[] defaults = fresh(ex, gIds).logits();
        double moved = 0;
        for (int i = 0; i < defaults.length; i++) {
            moved = Math.max(moved, Math.abs(defaults[i] - uneven[i]));
        }
        c.info("uneven positions move the logits by", Tolerance.number(moved));
        c.expect("uneven positions change the logits", moved > 1.0,
                "logits with positions " + Arrays.toString(gPos) + " differ from the default positions by only " + moved);
    }

    // ------------------------------------------------------------------ per-layer outputs

    @Test
    @DisplayName("executor.hidden-states")
    void hiddenStatesOfEveryLayer() {
        Check c = check();
        ModelExecutor ex = executor();
        int layers = config().numHiddenLayers();
        int hidden = config().hiddenSize();
        JsonNode golden = ReferenceFixtures.goldenKwargs().get("outputs");
        int[] ids = ints(golden.get("input_ids").get(0));
        int n = ids.length;
        SequenceOutput full;
        try (KvCache cache = ex.newCache(n)) {
            full = step(ex, SequenceInput.tokens(cache, ids).withHead(Head.ALL).withLastHiddenState(true).withHiddenStates(true))
                    .getFirst();
        }
        List<float[]> states = full.hiddenStates();
        c.expect("layers + 1 entries", states != null && states.size() == layers + 1,
                (states == null ? "none" : states.size()) + " entries, expected " + (layers + 1));
        Measure ref = c.reference("hidden states", HIDDEN_STATES, Tolerance.ACTIVATIONS);
        for (int l = 0; l <= layers; l++) {
            ref.compare("entry " + l, flat(golden.get("hidden_states").get(l)), states.get(l));
        }
        c.reference("logits", LOGITS, Tolerance.ACTIVATIONS).compare("", flat(golden.get("logits").get(0)), full.logits());
        c.consistency("last entry vs last hidden state", HIDDEN_STATES, Tolerance.ACTIVATIONS)
                .compare("", full.lastHiddenState(), states.get(layers));
        Measure cached = c.consistency("hidden states after a cached prefix", HIDDEN_STATES, Tolerance.ACTIVATIONS);
        try (KvCache cache = ex.newCache(n)) {
            prefill(ex, cache, slice(ids, 0, 7));
            SequenceOutput tail = step(ex, SequenceInput.tokens(cache, slice(ids, 7, n)).withHiddenStates(true)).getFirst();
            c.expect("layers + 1 entries after a cached prefix", tail.hiddenStates() != null && tail.hiddenStates().size() == layers + 1,
                    "wrong number of entries");
            for (int l = 0; l <= layers; l++) {
                cached.compare("entry " + l, Arrays.copyOfRange(states.get(l), 7 * hidden, n * hidden), tail.hiddenStates().get(l));
            }
        }
    }

    @Test
    @DisplayName("executor.attentions")
    void attentionProbabilitiesOfEveryLayer() {
        Check c = check();
        ModelExecutor ex = executor();
        int layers = config().numHiddenLayers();
        int heads = config().numAttentionHeads();
        JsonNode golden = ReferenceFixtures.goldenKwargs().get("outputs");
        int[] ids = ints(golden.get("input_ids").get(0));
        int n = ids.length;
        List<float[]> probs;
        try (KvCache cache = ex.newCache(n)) {
            probs = step(ex, SequenceInput.tokens(cache, ids).withHead(Head.NONE).withAttentions(true)).getFirst().attentions();
        }
        c.expect("one entry per layer", probs != null && probs.size() == layers,
                (probs == null ? "none" : probs.size()) + " entries, expected " + layers);
        Measure ref = c.reference("attention probabilities", ATTENTIONS, Tolerance.PROBABILITIES);
        Measure sums = c.consistency("each row sums to 1", ATTENTIONS, Tolerance.PROBABILITIES);
        for (int l = 0; l < layers; l++) {
            ref.compare("layer " + l, flat(golden.get("attentions").get(l)), probs.get(l));
            float[] p = probs.get(l);
            float[] rowSums = new float[heads * n];
            for (int r = 0; r < heads * n; r++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += p[r * n + k];
                }
                rowSums[r] = (float) s;
            }
            float[] ones = new float[heads * n];
            Arrays.fill(ones, 1f);
            sums.compare("layer " + l, ones, rowSums);
        }
        // with a cached prefix the keys are every cache slot: [heads][new][cached + new]
        Measure cached = c.consistency("probabilities after a cached prefix", ATTENTIONS, Tolerance.PROBABILITIES);
        try (KvCache cache = ex.newCache(n)) {
            prefill(ex, cache, slice(ids, 0, 7));
            List<float[]> tail = step(ex, SequenceInput.tokens(cache, slice(ids, 7, n)).withHead(Head.NONE).withAttentions(true))
                    .getFirst().attentions();
            c.expect("one entry per layer after a cached prefix", tail != null && tail.size() == layers, "wrong number of entries");
            for (int l = 0; l < layers; l++) {
                float[] expected = new float[heads * (n - 7) * n];
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(probs.get(l), (h * n + 7) * n, expected, h * (n - 7) * n, (n - 7) * n);
                }
                cached.compare("layer " + l, expected, tail.get(l));
            }
        }
    }

    // ------------------------------------------------------------------ limits, errors, closing

    @Test
    @DisplayName("executor.limits")
    void limitsAreHonoured() {
        Check c = check();
        ModelExecutor ex = executor();
        ExecutorLimits limits = ex.limits();
        int vocab = vocab();
        c.expect("maxCachePositions <= max_position_embeddings", limits.maxCachePositions() <= config().maxPositionEmbeddings(),
                limits.maxCachePositions() + " > " + config().maxPositionEmbeddings());
        CacheSpec spec = new CacheSpec(40, 3);
        long reserved = ex.cacheBytes(spec);
        c.info("cacheBytes(40 positions, rollback 3)", reserved + " bytes");
        c.expect("cacheBytes is positive", reserved > 0, "cacheBytes(" + spec + ") = " + reserved);
        try (KvCache cache = ex.newCache(spec)) {
            c.expect("byteSize() <= cacheBytes() when new", cache.byteSize() <= reserved, cache.byteSize() + " > " + reserved);
            prefill(ex, cache, ids(40, vocab));
            c.expect("byteSize() <= cacheBytes() at full length", cache.byteSize() <= reserved, cache.byteSize() + " > " + reserved);
            try (KvCache copy = cache.fork()) {
                c.expect("byteSize() <= cacheBytes() for a fork", copy.byteSize() <= reserved, copy.byteSize() + " > " + reserved);
            }
        }
        c.refused("a cache longer than maxCachePositions refused", () -> ex.newCache(limits.maxCachePositions() + 1).close(),
                String.valueOf(limits.maxCachePositions()));
        try (KvCache longest = ex.newCache(limits.maxCachePositions())) {
            c.expect("a cache of maxCachePositions accepted", longest.maxLength() == limits.maxCachePositions(),
                    "maxLength " + longest.maxLength());
        }

        int most = limits.maxSequencesPerStep();
        if (most <= 64) {
            List<KvCache> caches = new ArrayList<>();
            try {
                for (int i = 0; i <= most; i++) {
                    caches.add(ex.newCache(2));
                }
                List<SequenceInput> inputs = new ArrayList<>();
                for (KvCache k : caches) {
                    inputs.add(SequenceInput.tokens(k, 5).withHead(Head.ARGMAX));
                }
                c.refused("a step over maxSequencesPerStep refused", () -> ex.step(inputs), String.valueOf(most));
                c.expect("a refused step changes no cache", caches.stream().allMatch(k -> k.length() == 0), "a cache advanced");
                List<SequenceOutput> out = ex.step(inputs.subList(0, most));
                c.expect("a step of maxSequencesPerStep accepted", out.size() == most, out.size() + " outputs for " + most);
            } finally {
                KvCache.closeAll(caches);
            }
        } else {
            c.skip("a step over maxSequencesPerStep refused", "maxSequencesPerStep " + most + " is too large to try");
        }
        int tokens = limits.maxTokensPerStep();
        if (tokens < limits.maxCachePositions() && tokens <= 4096) {
            try (KvCache cache = ex.newCache(tokens + 1)) {
                c.refused("a step over maxTokensPerStep refused",
                        () -> ex.step(List.of(SequenceInput.tokens(cache, ids(tokens + 1, vocab)).withHead(Head.NONE))),
                        String.valueOf(tokens));
                c.expect("a refused step changes no cache", cache.length() == 0, "the cache advanced to " + cache.length());
            }
        } else {
            c.skip("a step over maxTokensPerStep refused", "maxTokensPerStep " + tokens + " is too large to try");
        }
    }

    private static int[] ids(int n, int vocab) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (7 + 13 * i) % vocab;
        }
        return out;
    }

    @Test
    @DisplayName("executor.errors")
    void badInputIsRefusedBeforeAnyCacheChanges() {
        Check c = check();
        ModelExecutor ex = executor();
        int v = vocab();
        int hidden = config().hiddenSize();
        int maxPositions = config().maxPositionEmbeddings();
        int[] ids = slice(longRow(), 0, 6);
        try (KvCache good = ex.newCache(8); KvCache other = ex.newCache(8); DecoderModel second = loadFresh(MODEL);
             KvCache foreign = second.executor().newCache(8); KvCache small = ex.newCache(4)) {
            String unchanged = "a refused step changes no cache";
            c.refused("token id = vocab_size refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(other, 5, v))), String.valueOf(v));
            c.expect(unchanged, good.length() == 0 && other.length() == 0, "caches hold " + good.length() + " and " + other.length());
            c.refused("negative token id refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(other, -1))), "-1");
            c.expect(unchanged, good.length() == 0, "the first cache holds " + good.length());
            c.refused("inputs_embeds of the wrong width refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.embeddings(other, new FloatMatrix(1, hidden + 1, new float[hidden + 1])))), "inputs_embeds");
            c.expect(unchanged, good.length() == 0, "the first cache holds " + good.length());
            c.refused("position id >= max_position_embeddings refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(other, 5).withPositionIds(maxPositions))), String.valueOf(maxPositions));
            c.expect(unchanged, good.length() == 0, "the first cache holds " + good.length());
            c.refused("a cache of another executor refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(foreign, 5))), "cache");
            c.expect(unchanged, good.length() == 0 && foreign.length() == 0, "a cache advanced");
            c.refused("one cache twice in a step refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(good, 5))), "cache");
            c.expect(unchanged, good.length() == 0, "the cache holds " + good.length());
            KvCache closed = ex.newCache(8);
            closed.close();
            c.refused("a closed cache refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(closed, 5))), "closed");
            c.expect(unchanged, good.length() == 0, "the first cache holds " + good.length());
            prefill(ex, small, new int[]{4, 5, 6});
            c.refused("a step past the cache's maxLength refused", () -> ex.step(List.of(SequenceInput.tokens(good, ids),
                    SequenceInput.tokens(small, 7, 8))), "4");
            c.expect(unchanged, good.length() == 0 && small.length() == 3, "caches hold " + good.length() + " and " + small.length());
            float[] logits = feed(ex, good, ids).logits();
            c.consistency("a cache after refused steps", LOGITS, Tolerance.ACTIVATIONS).compare("6 tokens", fresh(ex, ids).logits(), logits);
        }
    }

    @Test
    @DisplayName("executor.close")
    void closingTwiceIsHarmless() {
        Check c = check();
        DecoderModel model = loadFresh(MODEL);
        try {
            ModelExecutor ex = model.executor();
            KvCache cache = ex.newCache(4);
            prefill(ex, cache, new int[]{4, 5});
            cache.close();
            c.expect("closing a cache twice is harmless", closesQuietly(cache), "the second close() threw");
            c.refused("a closed cache is not usable", cache::length, "closed");
            KvCache open = ex.newCache(4);
            ex.close();
            c.expect("closing an executor twice is harmless", closesQuietly(ex), "the second close() threw");
            c.refused("a step on a closed executor refused", () -> ex.step(List.of(SequenceInput.tokens(open, 5))), "closed");
        } finally {
            model.close();
        }
        c.expect("closing the model after its executor is harmless", true, "");
    }

    private static boolean closesQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
