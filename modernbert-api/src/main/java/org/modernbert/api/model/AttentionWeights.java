package org.modernbert.api.model;

/**
 * One layer's attention probabilities for one row: {@code [heads][queries][keys]} row-major.
 * Rows of a padded batch have {@code queries = keys = padded length}, zeros at pad positions.
 */
public record AttentionWeights(int heads, int queries, int keys, float[] data) {
    public AttentionWeights {
        if ((long) heads * queries * keys != data.length) {
            throw new IllegalArgumentException(heads + "x" + queries + "x" + keys + " attention needs "
                    + (long) heads * queries * keys + " values, got " + data.length);
        }
    }

    public float get(int head, int query, int key) {
        return data[(head * queries + query) * keys + key];
    }
}
