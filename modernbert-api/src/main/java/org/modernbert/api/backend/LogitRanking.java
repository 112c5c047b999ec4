package org.modernbert.api.backend;

/**
 * Argmax and top-k of a logit vector with the tie rules {@link Head} promises (the lower index
 * first), for backends that rank logits on the host.
 */
public final class LogitRanking {
    private LogitRanking() {
    }

    /** The index of the largest value of {@code logits[off, off + n)} (relative to off); the lowest such index on ties. */
    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[off + i] > logits[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The indices (relative to off) of the {@code k} largest values of {@code logits[off, off + n)}, largest first, the lower index first on ties:
     * one pass keeping a sorted list of k (k is small next to a vocabulary).
     */
    public static int[] topK(float[] logits, int off, int n, int k) {
        int[] ids = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = logits[off + i];
            if (size == k && !(v > logits[off + ids[k - 1]])) {
                continue;
            }
            int pos = size < k ? size++ : k - 1;
            // move smaller entries down; equal values stay ahead (lower index first)
            while (pos > 0 && v > logits[off + ids[pos - 1]]) {
                ids[pos] = ids[pos - 1];
                pos--;
            }
            ids[pos] = i;
        }
        return ids;
    }
}
