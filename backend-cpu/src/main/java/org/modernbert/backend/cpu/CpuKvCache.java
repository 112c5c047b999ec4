package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.KvCache;

import java.util.Arrays;

/**
 * Keys and values of one sequence, per layer, as {@code [slot * hidden + head * headDim + j]} float
 * arrays (keys already rotated by RoPE). Full-attention layers hold position {@code p} in slot
 * {@code p} and grow by doubling up to {@code maxLength}; sliding layers are a ring buffer of exactly
 * {@code window} slots (position {@code p} in slot {@code p % window}), so their memory stays O(window).
 */
final class CpuKvCache implements KvCache {
    private static final int INITIAL_SLOTS = 64;

    private final CpuModelExecutor owner;
    private final int maxLength;
    private final int hidden;
    private final boolean[] sliding;
    private final int window;
    private float[][] keys;
    private float[][] values;
    private int length;
    private boolean closed;

    CpuKvCache(CpuModelExecutor owner, int maxLength, int hidden, boolean[] sliding, int window) {
        this.owner = owner;
        this.maxLength = maxLength;
        this.hidden = hidden;
        this.sliding = sliding.clone();
        this.window = window;
        this.keys = new float[sliding.length][];
        this.values = new float[sliding.length][];
        for (int l = 0; l < sliding.length; l++) {
            int slots = sliding[l] ? Math.min(window, maxLength) : Math.min(INITIAL_SLOTS, maxLength);
            keys[l] = new float[slots * hidden];
            values[l] = new float[slots * hidden];
        }
    }

    @Override
    public int length() {
        checkOpen();
        return length;
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    @Override
    public void clear() {
        checkOpen();
        length = 0;
    }

    @Override
    public void close() {
        closed = true;
        keys = null;
        values = null;
    }

    boolean isClosed() {
        return closed;
    }

    CpuModelExecutor owner() {
        return owner;
    }

    /** Slots currently allocated for a layer (for tests: sliding layers never exceed the window). */
    int slots(int layer) {
        checkOpen();
        return keys[layer].length / hidden;
    }

    /** Makes room for {@code newLength} positions in every full-attention layer. */
    void ensureCapacity(int newLength) {
        for (int l = 0; l < keys.length; l++) {
            if (sliding[l]) {
                continue;
            }
            int slots = keys[l].length / hidden;
            if (slots < newLength) {
                int grown = (int) Math.min(maxLength, Math.max(newLength, 2L * slots));
                keys[l] = Arrays.copyOf(keys[l], grown * hidden);
                values[l] = Arrays.copyOf(values[l], grown * hidden);
            }
        }
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** The slot of {@code position} in a layer's arrays. */
    int slot(int layer, int position) {
        return sliding[layer] ? position % window : position;
    }

    void advance(int tokens) {
        length += tokens;
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this KV cache is closed: create a new one with ModelExecutor.newCache");
        }
    }
}
