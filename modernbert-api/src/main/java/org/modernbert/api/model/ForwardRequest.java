package org.modernbert.api.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.DynamicCache;

import java.util.ArrayList;
import java.util.List;

/**
 * The keyword arguments of transformers' {@code forward()}, by the same names. Rows are either
 * ragged (different lengths, no mask: each row computed alone, the fast way) or a rectangular padded
 * batch with an {@code attention_mask} whose ones form one contiguous run per row (left or right
 * padding). Build with {@link #ids} or {@link #embeds} and the {@code with...} methods.
 *
 * @param inputIds           token ids per row, or null when {@code inputsEmbeds} is given
 * @param inputsEmbeds       per row, {@code tokens x hidden} vectors taken before the embedding norm
 * @param attentionMask      per row, 1 for tokens and 0 for padding; null means all ones. With
 *                           {@code pastKeyValues} it may cover the past too ({@code past + new} entries);
 *                           the new entries must then be all ones
 * @param positionIds        per row, the RoPE position of each token; null means transformers' default
 *                           (the index in the row, pads counted, continuing after {@code pastKeyValues})
 * @param labels             causal-LM labels per row (same shape as the input, -100 ignored), or null
 * @param pastKeyValues      a cache returned by an earlier forward with {@code useCache}: continues its rows
 * @param useCache           return {@code pastKeyValues} holding the whole sequence so far
 * @param outputHiddenStates return {@code hidden_states}: embeddings output + one entry per layer
 * @param outputAttentions   return {@code attentions}: per layer, per row, {@code [heads][query][key]}
 */
public record ForwardRequest(List<int[]> inputIds, List<FloatMatrix> inputsEmbeds, List<int[]> attentionMask,
                             List<int[]> positionIds, List<int[]> labels, DynamicCache pastKeyValues, boolean useCache,
                             boolean outputHiddenStates, boolean outputAttentions) {
    public ForwardRequest {
        if ((inputIds == null) == (inputsEmbeds == null)) {
            throw new ModernBertException("forward needs exactly one of input_ids and inputs_embeds, got "
                    + (inputIds == null ? "neither" : "both"));
        }
        inputIds = copyRows(inputIds, "input_ids");
        inputsEmbeds = inputsEmbeds == null ? null : List.copyOf(inputsEmbeds);
        attentionMask = copyRows(attentionMask, "attention_mask");
        positionIds = copyRows(positionIds, "position_ids");
        labels = copyRows(labels, "labels");
        int rows = inputIds != null ? inputIds.size() : inputsEmbeds.size();
        if (rows == 0) {
            throw new ModernBertException("a batch needs at least one row");
        }
        for (int r = 0; r < rows; r++) {
            int n = inputIds != null ? inputIds.get(r).length : inputsEmbeds.get(r).rows();
            String what = inputIds != null ? "input_ids" : "inputs_embeds";
            if (n == 0) {
                throw new ModernBertException(what + " row " + r + " is empty: every row needs at least one token");
            }
            checkRow(positionIds, "position_ids", r, n, what);
            checkRow(labels, "labels", r, n, what);
        }
        checkRowCount(attentionMask, "attention_mask", rows);
        checkRowCount(positionIds, "position_ids", rows);
        checkRowCount(labels, "labels", rows);
        if (pastKeyValues != null && pastKeyValues.rowCount() != rows) {
            throw new ModernBertException("past_key_values holds " + pastKeyValues.rowCount() + " rows but the input has " + rows);
        }
    }

    /** Ragged or padded rows of token ids; everything else off. */
    public static ForwardRequest ids(List<int[]> rows) {
        return new ForwardRequest(rows, null, null, null, null, null, false, false, false);
    }

    public static ForwardRequest ids(int[]... rows) {
        return ids(List.of(rows));
    }

    public static ForwardRequest of(TokenBatch batch) {
        return ids(batch.rows());
    }

    /** {@code inputs_embeds} instead of ids: per row, {@code tokens x hidden}. */
    public static ForwardRequest embeds(List<FloatMatrix> rows) {
        return new ForwardRequest(null, rows, null, null, null, null, false, false, false);
    }

    public int rowCount() {
        return inputIds != null ? inputIds.size() : inputsEmbeds.size();
    }

    /** Tokens of row {@code r} in this forward (pads included). */
    public int rowLength(int r) {
        return inputIds != null ? inputIds.get(r).length : inputsEmbeds.get(r).rows();
    }

    public ForwardRequest withAttentionMask(List<int[]> mask) {
        return new ForwardRequest(inputIds, inputsEmbeds, mask, positionIds, labels, pastKeyValues, useCache, outputHiddenStates, outputAttentions);
    }

    public ForwardRequest withPositionIds(List<int[]> positions) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positions, labels, pastKeyValues, useCache, outputHiddenStates, outputAttentions);
    }

    public ForwardRequest withLabels(List<int[]> l) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positionIds, l, pastKeyValues, useCache, outputHiddenStates, outputAttentions);
    }

    public ForwardRequest withPastKeyValues(DynamicCache past) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positionIds, labels, past, useCache, outputHiddenStates, outputAttentions);
    }

    public ForwardRequest withUseCache(boolean use) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positionIds, labels, pastKeyValues, use, outputHiddenStates, outputAttentions);
    }

    public ForwardRequest withOutputHiddenStates(boolean on) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positionIds, labels, pastKeyValues, useCache, on, outputAttentions);
    }

    public ForwardRequest withOutputAttentions(boolean on) {
        return new ForwardRequest(inputIds, inputsEmbeds, attentionMask, positionIds, labels, pastKeyValues, useCache, outputHiddenStates, on);
    }

    private static List<int[]> copyRows(List<int[]> rows, String what) {
        if (rows == null) {
            return null;
        }
        List<int[]> copy = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r) == null) {
                throw new ModernBertException(what + " row " + r + " is missing");
            }
            copy.add(rows.get(r).clone());
        }
        return List.copyOf(copy);
    }

    private static void checkRowCount(List<int[]> rows, String what, int expected) {
        if (rows != null && rows.size() != expected) {
            throw new ModernBertException(what + " has " + rows.size() + " rows but the input has " + expected);
        }
    }

    private static void checkRow(List<int[]> rows, String what, int r, int n, String input) {
        if (rows != null && r < rows.size() && rows.get(r).length != n) {
            throw new ModernBertException(what + " row " + r + " has " + rows.get(r).length + " entries but " + input
                    + " row " + r + " has " + n + " tokens");
        }
    }
}
