package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/**
 * transformers' {@code TopKLogitsWarper}: scores below the k-th largest score become -inf (ties with
 * the k-th score are kept, as {@code scores < topk(scores, k)[-1]} keeps them).
 */
public final class TopK implements LogitsProcessor {
    private final int k;
    private float[] heap = new float[0];

    public TopK(int k) {
        if (k <= 0) {
            throw new ModernBertException("top_k must be positive to filter (0 disables it), got " + k);
        }
        this.k = k;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        int n = scores.length;
        if (k >= n) {
            return;
        }
        float threshold = kthLargest(scores, n);
        for (int i = 0; i < n; i++) {
            if (scores[i] < threshold) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** The k-th largest score through a min-heap of the k largest seen: O(V log k), no sort of the vocabulary. */
    private float kthLargest(float[] scores, int n) {
        if (heap.length < k) {
            heap = new float[k];
        }
        System.arraycopy(scores, 0, heap, 0, k);
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(i);
        }
        for (int i = k; i < n; i++) {
            if (scores[i] > heap[0]) {
                heap[0] = scores[i];
                siftDown(0);
            }
        }
        return heap[0];
    }

    private void siftDown(int i) {
        float v = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= k) {
                break;
            }
            if (child + 1 < k && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= v) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
