package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.backend.ExecutorLimits;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.DynamicCache;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * transformers' {@code forward(**kwargs)} on an executor. Each row becomes one sequence of the
 * executor: a padded row is cut down to its run of real tokens (pads never reach the model), its
 * positions are transformers' (the index in the padded row, pads counted, or {@code position_ids}),
 * and its outputs are put back at their padded places (zeros at pads). Rows go through as few
 * executor steps as its {@link ExecutorLimits} allow; a row longer than a step's token budget is
 * fed in chunks through its cache, which gives the same result as one pass.
 */
final class ForwardPass {
    /** What to compute for every row. */
    enum HeadUse {
        /** No head (base model). */
        NONE,
        /** Logits at every position (causal LM). */
        ALL,
        /** Logits at the last real token only (sequence classification pooling). */
        LAST
    }

    /**
     * Outputs of one row, laid out over the row's positions as given (pads included).
     *
     * @param logits       {@code [T * outputs]} for {@link HeadUse#ALL}, {@code [outputs]} for LAST, else null
     * @param lastHidden   {@code [T * hidden]}
     * @param hiddenStates layers + 1 entries of {@code [T * hidden]}, or null
     * @param attentions   one entry per layer of {@code [heads * T * keys]}, or null
     * @param keys         length of the attention key axis (the past's sequence length + T)
     * @param start        first real token of the row; {@code end} one past the last
     */
    record Row(float[] logits, float[] lastHidden, List<float[]> hiddenStates, List<float[]> attentions, int keys,
               int start, int end) {
    }

    record Result(List<Row> rows, DynamicCache pastKeyValues) {
    }

    /** One row's real tokens and where they go. */
    private static final class Plan {
        final int row;
        final int length;       // T, pads included
        final int start;
        final int end;
        final int[] positions;  // of the real tokens
        final int pastLength;   // cache slots before this forward
        final int pastSeen;     // transformers' sequence length before this forward (pads counted)
        final int pastOffset;   // key index of cache slot 0 (the past's left pads)
        KvCache cache;
        int done;               // real tokens already stepped
        // assembled outputs
        float[] logits;
        float[] lastHidden;
        List<float[]> hiddenStates;
        List<float[]> attentions;

        Plan(int row, int length, int start, int end, int[] positions, int pastLength, int pastSeen, int pastOffset) {
            this.row = row;
            this.length = length;
            this.start = start;
            this.end = end;
            this.positions = positions;
            this.pastLength = pastLength;
            this.pastSeen = pastSeen;
            this.pastOffset = pastOffset;
        }

        int realTokens() {
            return end - start;
        }
    }

    private final ModelExecutor executor;
    private final ModernBertDecoderConfig config;

    ForwardPass(ModelExecutor executor, ModernBertDecoderConfig config) {
        this.executor = executor;
        this.config = config;
    }

    Result run(ForwardRequest request, HeadUse head) {
        List<Plan> plans = plan(request);
        checkLabels(request, plans);
        DynamicCache past = request.pastKeyValues();
        List<KvCache> created = new ArrayList<>();
        boolean ok = false;
        try {
            synchronized (executor) {
                for (Plan p : plans) {
                    if (past != null) {
                        p.cache = past.row(p.row);
                    } else {
                        // a cache the caller keeps must be able to continue up to the model's context
                        int maxLength = request.useCache() ? executor.limits().maxCachePositions() : p.realTokens();
                        p.cache = executor.newCache(CacheSpec.of(maxLength));
                        created.add(p.cache);
                    }
                    if ((long) p.cache.length() + p.realTokens() > p.cache.maxLength()) {
                        throw new ModernBertException("row " + p.row + ": " + p.cache.length() + " cached + " + p.realTokens()
                                + " new positions exceed the cache's maximum of " + p.cache.maxLength());
                    }
                    allocateOutputs(p, request, head);
                }
                runSteps(plans, request, head, past);
            }
            DynamicCache returned = !request.useCache() ? null : past != null ? past : newDynamicCache(plans);
            List<Row> rows = new ArrayList<>(plans.size());
            for (Plan p : plans) {
                rows.add(new Row(p.logits, p.lastHidden, p.hiddenStates, p.attentions, p.pastSeen + p.length, p.start, p.end));
            }
            ok = true;
            return new Result(rows, returned);
        } finally {
            if (!ok || !request.useCache()) {
                synchronized (executor) {
                    KvCache.closeAll(created);
                }
            }
        }
    }

    private DynamicCache newDynamicCache(List<Plan> plans) {
        List<KvCache> caches = new ArrayList<>(plans.size());
        int[] lengths = new int[plans.size()];
        int[] padOffsets = new int[plans.size()];
        boolean[] rightPadded = new boolean[plans.size()];
        for (Plan p : plans) {
            caches.add(p.cache);
            lengths[p.row] = p.length;
            padOffsets[p.row] = p.start;
            rightPadded[p.row] = p.end < p.length;
        }
        return new DynamicCache(executor, caches, lengths, padOffsets, rightPadded);
    }

    // ------------------------------------------------------------------ validation and planning

    private List<Plan> plan(ForwardRequest request) {
        int rows = request.rowCount();
        DynamicCache past = request.pastKeyValues();
        if (past != null && past.isClosed()) {
            throw new ModernBertException("past_key_values is closed");
        }
        if (past != null && past.executor() != executor) {
            throw new ModernBertException("past_key_values was made by another model's executor: a cache continues only on"
                    + " the model that built it");
        }
        List<Plan> plans = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            int n = request.rowLength(r);
            if (past == null && n > config.maxPositionEmbeddings()) {
                throw new ModernBertException("input row " + r + " has " + n + " tokens but max_position_embeddings is "
                        + config.maxPositionEmbeddings());
            }
            int pastLength = past == null ? 0 : past.row(r).length();
            int[] run = run(request, r, n, past);
            if (past != null && past.rightPadded(r)) {
                throw new ModernBertException("past_key_values row " + r + " ended with padding (right-padded): only rows that end"
                        + " with a real token can be continued");
            }
            int start = run[0];
            int end = run[1];
            if (past != null && (start != 0 || end != n)) {
                throw new ModernBertException("attention_mask row " + r + ": with past_key_values every new token must be real (all ones);"
                        + " padding a continuation is not supported");
            }
            if (request.inputIds() != null) {
                int[] ids = request.inputIds().get(r);
                for (int t = start; t < end; t++) {
                    if (ids[t] < 0 || ids[t] >= config.vocabSize()) {
                        throw new ModernBertException("token id " + ids[t] + " at row " + r + ", position " + t
                                + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                    }
                }
            } else {
                FloatMatrix embeds = request.inputsEmbeds().get(r);
                if (embeds.cols() != config.hiddenSize()) {
                    throw new ModernBertException("inputs_embeds row " + r + " has vectors of " + embeds.cols()
                            + " values but hidden_size is " + config.hiddenSize());
                }
                float[] v = embeds.data();
                for (int i = start * embeds.cols(); i < end * embeds.cols(); i++) {
                    if (!Float.isFinite(v[i])) {
                        throw new ModernBertException("inputs_embeds[" + r + "][" + i / embeds.cols() + "][" + i % embeds.cols() + "] is "
                                + v[i] + ": expected a finite number (a float32 holds at most about 3.4e38)");
                    }
                }
            }
            int[] positions = new int[end - start];
            int base = past == null ? 0 : past.seqLength(r);
            for (int t = start; t < end; t++) {
                int pos = request.positionIds() != null ? request.positionIds().get(r)[t] : base + t;
                if (pos < 0 || pos >= config.maxPositionEmbeddings()) {
                    throw new ModernBertException((request.positionIds() != null ? "position_ids" : "input") + " row " + r
                            + ", token " + t + ": position " + pos + " is outside [0, max_position_embeddings = "
                            + config.maxPositionEmbeddings() + ")"
                            + (request.positionIds() != null ? "" : "; the row is too long"));
                }
                positions[t - start] = pos;
            }
            plans.add(new Plan(r, n, start, end, positions, pastLength, past == null ? 0 : past.seqLength(r),
                    past == null ? 0 : past.padOffset(r)));
        }
        return plans;
    }

    /**
     * The run of ones of row {@code r}'s attention mask over its new tokens, as {@code [start, end)}.
     * With {@code past_key_values} the mask may also cover the past ({@code past + n} entries); that
     * part must say what the cache holds: zeros at its left pads, ones at its tokens.
     */
    private static int[] run(ForwardRequest request, int r, int n, DynamicCache past) {
        if (request.attentionMask() == null) {
            return new int[]{0, n};
        }
        int[] mask = request.attentionMask().get(r);
        int pastSeen = past == null ? 0 : past.seqLength(r);
        int offset;
        if (mask.length == n) {
            offset = 0;
        } else if (past != null && mask.length == pastSeen + n) {
            offset = pastSeen;
            for (int i = 0; i < pastSeen; i++) {
                int expected = i >= past.padOffset(r) ? 1 : 0;
                if (mask[i] != expected) {
                    throw new ModernBertException("attention_mask row " + r + ", past position " + i + " is " + mask[i]
                            + " but the cache holds " + (expected == 1 ? "a token" : "a pad") + " there: the past part of a mask"
                            + " must match the mask the cache was built with");
                }
            }
        } else {
            throw new ModernBertException("attention_mask row " + r + " has " + mask.length + " entries but the input row has " + n
                    + " tokens" + (past != null ? " (and the past " + pastSeen + ")" : ""));
        }
        int start = -1;
        int end = -1;
        for (int t = 0; t < n; t++) {
            int m = mask[offset + t];
            if (m != 0 && m != 1) {
                throw new ModernBertException("attention_mask row " + r + ", position " + t + " is " + m + ": expected 0 or 1");
            }
            if (m == 1) {
                if (start < 0) {
                    start = t;
                } else if (end >= 0) {
                    throw new ModernBertException("attention_mask row " + r + " has ones at positions " + start + ".." + (end - 1)
                            + " and again at " + t + ": each row needs one contiguous run of ones (left or right padding)");
                }
            } else if (start >= 0 && end < 0) {
                end = t;
            }
        }
        if (start < 0) {
            throw new ModernBertException("attention_mask row " + r + " is all zeros: every row needs at least one real token");
        }
        return new int[]{start, end < 0 ? n : end};
    }

    /** A label is predicted from the position before it; where that position is a pad, there is no prediction. */
    private static void checkLabels(ForwardRequest request, List<Plan> plans) {
        if (request.labels() == null) {
            return;
        }
        for (Plan p : plans) {
            int[] labels = request.labels().get(p.row);
            for (int t = 1; t < labels.length; t++) {
                boolean predictedFromReal = t - 1 >= p.start && t - 1 < p.end;
                if (!predictedFromReal && labels[t] != Losses.IGNORE_INDEX) {
                    throw new ModernBertException("labels row " + p.row + ", position " + t + " is " + labels[t]
                            + " but position " + (t - 1) + ", which predicts it, is padding: set it to -100");
                }
            }
        }
    }

    private void allocateOutputs(Plan p, ForwardRequest request, HeadUse head) {
        int hidden = config.hiddenSize();
        p.lastHidden = new float[p.length * hidden];
        if (head == HeadUse.ALL) {
            p.logits = new float[Math.multiplyExact(p.length, outputs())];
        }
        if (request.outputHiddenStates()) {
            p.hiddenStates = new ArrayList<>();
            for (int i = 0; i <= config.numHiddenLayers(); i++) {
                p.hiddenStates.add(new float[p.length * hidden]);
            }
        }
        if (request.outputAttentions()) {
            p.attentions = new ArrayList<>();
            int keys = p.pastSeen + p.length;
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                p.attentions.add(new float[Math.multiplyExact(config.numAttentionHeads() * p.length, keys)]);
            }
        }
    }

    private int outputs() {
        return executor.weights().head().outputs();
    }

    // ------------------------------------------------------------------ stepping

    /** Feeds every row's real tokens in steps that respect the executor's limits. */
    private void runSteps(List<Plan> plans, ForwardRequest request, HeadUse head, DynamicCache past) {
        ExecutorLimits limits = executor.limits();
        int next = 0;
        while (next < plans.size()) {
            List<Plan> members = new ArrayList<>();
            List<int[]> chunks = new ArrayList<>();   // [from, to) in the row's real tokens
            List<SequenceInput> inputs = new ArrayList<>();
            int budget = limits.maxTokensPerStep();
            int i = next;
            while (i < plans.size() && members.size() < limits.maxSequencesPerStep() && budget > 0) {
                Plan p = plans.get(i);
                int from = p.done;
                int to = (int) Math.min(p.realTokens(), (long) from + budget);
                members.add(p);
                chunks.add(new int[]{from, to});
                inputs.add(input(p, from, to, request, head));
                budget -= to - from;
                if (to < p.realTokens()) {
                    break; // the rest of this row goes into the next step
                }
                i++;
            }
            List<SequenceOutput> outs = executor.step(inputs);
            if (outs.size() != inputs.size()) {
                throw new ModernBertException("backend returned " + outs.size() + " outputs for " + inputs.size() + " sequences");
            }
            for (int m = 0; m < members.size(); m++) {
                Plan p = members.get(m);
                int[] c = chunks.get(m);
                place(p, c[0], c[1], outs.get(m), head);
                p.done = c[1];
                if (past != null && p.done == p.realTokens()) {
                    // the caller's cache holds this row's tokens now (transformers updates it in place): its
                    // length moves with it at once, so a later failing step cannot leave the two apart
                    past.advance(p.row, p.length, p.end < p.length);
                }
            }
            while (next < plans.size() && plans.get(next).done == plans.get(next).realTokens()) {
                next++;
            }
        }
    }

    private SequenceInput input(Plan p, int from, int to, ForwardRequest request, HeadUse head) {
        int a = p.start + from;
        int b = p.start + to;
        boolean lastChunk = to == p.realTokens();
        Head h = switch (head) {
            case NONE -> Head.NONE;
            case ALL -> Head.ALL;
            case LAST -> lastChunk ? Head.LAST : Head.NONE;
        };
        int[] ids = request.inputIds() == null ? null : Arrays.copyOfRange(request.inputIds().get(p.row), a, b);
        FloatMatrix embeds = null;
        if (request.inputsEmbeds() != null) {
            FloatMatrix all = request.inputsEmbeds().get(p.row);
            embeds = new FloatMatrix(b - a, all.cols(), Arrays.copyOfRange(all.data(), a * all.cols(), b * all.cols()));
        }
        return new SequenceInput(p.cache, ids, embeds, Arrays.copyOfRange(p.positions, from, to), h, true,
                request.outputHiddenStates(), request.outputAttentions());
    }

    /** Copies one chunk's outputs to their padded places in the row's arrays. */
    private void place(Plan p, int from, int to, SequenceOutput out, HeadUse head) {
        int hidden = config.hiddenSize();
        int n = to - from;
        int at = p.start + from; // padded index of the chunk's first token
        copyRows(out.lastHiddenState(), "last hidden state", n * hidden, p.lastHidden, at * hidden);
        if (head == HeadUse.ALL) {
            copyRows(out.logits(), "logits", n * outputs(), p.logits, at * outputs());
        } else if (head == HeadUse.LAST && to == p.realTokens()) {
            if (out.logits() == null || out.logits().length != outputs()) {
                throw new ModernBertException("backend returned no head output for the last token of row " + p.row);
            }
            p.logits = out.logits();
        }
        if (p.hiddenStates != null) {
            check(out.hiddenStates() != null && out.hiddenStates().size() == p.hiddenStates.size(), "hidden states", p.row);
            for (int l = 0; l < p.hiddenStates.size(); l++) {
                copyRows(out.hiddenStates().get(l), "hidden states", n * hidden, p.hiddenStates.get(l), at * hidden);
            }
        }
        if (p.attentions != null) {
            check(out.attentions() != null && out.attentions().size() == p.attentions.size(), "attentions", p.row);
            placeAttentions(p, from, n, out.attentions());
        }
    }

    /**
     * A chunk's probabilities are {@code [heads][n][cached + n]} over cache slots; the row's are
     * {@code [heads][T][pastSeen + T]} in transformers' layout: past slot {@code j} is key
     * {@code pastOffset + j} (after the past's left pads), this forward's slot {@code pastLength + i}
     * is key {@code pastSeen + start + i}; queries are this forward's padded indices.
     */
    private void placeAttentions(Plan p, int from, int n, List<float[]> chunkProbs) {
        int heads = config.numAttentionHeads();
        int chunkKeys = p.pastLength + from + n;
        int rowKeys = p.pastSeen + p.length;
        for (int l = 0; l < chunkProbs.size(); l++) {
            float[] src = chunkProbs.get(l);
            check(src.length == heads * n * chunkKeys, "attentions", p.row);
            float[] dst = p.attentions.get(l);
            for (int h = 0; h < heads; h++) {
                for (int q = 0; q < n; q++) {
                    int srcRow = (h * n + q) * chunkKeys;
                    int dstRow = (h * p.length + p.start + from + q) * rowKeys;
                    System.arraycopy(src, srcRow, dst, dstRow + p.pastOffset, p.pastLength);
                    System.arraycopy(src, srcRow + p.pastLength, dst, dstRow + p.pastSeen + p.start, from + n);
                }
            }
        }
    }

    private static void copyRows(float[] src, String what, int expected, float[] dst, int at) {
        if (src == null || src.length != expected) {
            throw new ModernBertException("backend returned " + (src == null ? "no" : src.length + " values of") + " " + what
                    + ", expected " + expected);
        }
        System.arraycopy(src, 0, dst, at, expected);
    }

    private static void check(boolean ok, String what, int row) {
        if (!ok) {
            throw new ModernBertException("backend returned malformed " + what + " for row " + row);
        }
    }
}
