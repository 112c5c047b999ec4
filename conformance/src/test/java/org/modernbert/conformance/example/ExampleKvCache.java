package org.modernbert.conformance.example;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.cache.KvCache;

/**
 * Keys (after RoPE) and values of one sequence, per layer, in float64: {@code [slot * hidden + i]}.
 * A full-attention layer has a slot per position up to {@code maxLength}; a sliding layer is a ring of
 * {@code window + rollback} slots (position {@code p} in slot {@code p % slots}), so it always holds
 * the last window positions a new token attends to, plus the {@code rollback} latest that
 * {@link #truncate} may take back. Everything is allocated at creation: {@link #byteSize()} is
 * exactly {@link ExampleExecutor#cacheBytes}.
 */
public class ExampleKvCache implements KvCache {
    private final ExampleExecutor owner;
    private final CacheSpec spec;
    private final int hidden;
    private final int[] slots;
    private double[][] keys;
    private double[][] values;
    private int length;
    /** The longest length since the cache was last emptied: ring slots hold positions up to it. */
    private int highWater;
    private boolean closed;

    /** @param slots per layer: how many positions it keeps */
    protected ExampleKvCache(ExampleExecutor owner, CacheSpec spec, int[] slots, int hidden) {
        this.owner = owner;
        this.spec = spec;
        this.hidden = hidden;
        this.slots = slots.clone();
        this.keys = new double[slots.length][];
        this.values = new double[slots.length][];
        for (int l = 0; l < slots.length; l++) {
            keys[l] = new double[slots[l] * hidden];
            values[l] = new double[slots[l] * hidden];
        }
    }

    /** A deep copy of {@code source} (what {@link #fork} returns). */
    protected ExampleKvCache(ExampleKvCache source) {
        source.checkOpen();
        this.owner = source.owner;
        this.spec = source.spec;
        this.hidden = source.hidden;
        this.slots = source.slots;
        this.keys = new double[slots.length][];
        this.values = new double[slots.length][];
        for (int l = 0; l < slots.length; l++) {
            keys[l] = source.keys[l].clone();
            values[l] = source.values[l].clone();
        }
        this.length = source.length;
        this.highWater = source.highWater;
    }

    @Override
    public int length() {
        checkOpen();
        return length;
    }

    @Override
    public int maxLength() {
        return spec.maxLength();
    }

    @Override
    public long byteSize() {
        checkOpen();
        long bytes = 0;
        for (int s : slots) {
            bytes += 2L * s * hidden * Double.BYTES;
        }
        return bytes;
    }

    @Override
    public KvCache fork() {
        return new ExampleKvCache(this);
    }

    /**
     * 0 while every layer still holds every position written since the cache was emptied; after
     * that, the contract's {@code highWater - rollback}: the ring's oldest intact position is
     * {@code highWater - (window + rollback)}, and a token appended after truncating needs the
     * {@code window} positions before it. (The current length would be wrong after a first
     * truncate: the slots of the positions it removed still overwrite older ones.)
     */
    @Override
    public int minTruncateLength() {
        checkOpen();
        int fewest = Integer.MAX_VALUE;
        for (int s : slots) {
            fewest = Math.min(fewest, s);
        }
        return highWater <= fewest ? 0 : highWater - spec.rollback();
    }

    @Override
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new ModernBertException("cannot truncate a KV cache of " + length + " positions to " + newLength
                    + ": the new length must be between 0 and " + length);
        }
        if (newLength != 0 && newLength < minTruncateLength()) {
            throw new ModernBertException("cannot truncate a KV cache of " + length + " positions to " + newLength
                    + ": its sliding layers no longer hold the positions before " + minTruncateLength()
                    + " (create it with a larger CacheSpec.rollback)");
        }
        // the slots past newLength keep stale numbers; the next tokens overwrite them before anything reads them
        length = newLength;
        if (newLength == 0) {
            highWater = 0;
        }
    }

    @Override
    public void clear() {
        truncate(0);
    }

    /** Frees the arrays; closing twice is harmless. */
    @Override
    public void close() {
        closed = true;
        keys = null;
        values = null;
    }

    // ---- for the executor

    ExampleExecutor owner() {
        return owner;
    }

    boolean isClosed() {
        return closed;
    }

    /** Where position {@code p} of layer {@code layer} starts in {@link #keys} and {@link #values}. */
    int offset(int layer, int p) {
        return (p % slots[layer]) * hidden;
    }

    /** The keys of one layer, {@code [slot * hidden + i]}. */
    protected double[] keys(int layer) {
        return keys[layer];
    }

    protected double[] values(int layer) {
        return values[layer];
    }

    void put(int layer, int p, double[] key, double[] value) {
        System.arraycopy(key, 0, keys(layer), offset(layer, p), hidden);
        System.arraycopy(value, 0, values(layer), offset(layer, p), hidden);
    }

    void advance(int tokens) {
        length += tokens;
        highWater = Math.max(highWater, length);
    }

    void checkOpen() {
        if (closed) {
            throw new ModernBertException("this KV cache is closed");
        }
    }
}
