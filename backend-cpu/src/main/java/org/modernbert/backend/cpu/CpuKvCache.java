package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.cache.KvCache;

import java.util.Arrays;

/**
 * Keys and values of one sequence, per layer, as {@code [slot * hidden + head * headDim + j]} float
 * arrays (keys already rotated by RoPE). Full-attention layers hold position {@code p} in slot
 * {@code p} and grow by doubling up to {@code maxLength} (so a cache made for the model's whole
 * context costs only what it holds); sliding layers are a ring buffer of {@code window + rollback}
 * slots (position {@code p} in slot {@code p % slots}), allocated at once, so their memory stays
 * O(window) and the last {@code rollback} positions can always be truncated away.
 */
final class CpuKvCache implements KvCache {
    private static final int INITIAL_SLOTS = 64;

    private final CpuModelExecutor owner;
    private final CacheSpec spec;
    private final int hidden;
    private final int window;
    /** Slots per layer when full: maxLength on full layers, min(maxLength, window + rollback) on sliding ones. */
    private final int[] slots;
    private final boolean[] sliding;
    private float[][] keys;
    private float[][] values;
    private int length;
    /** The longest length reached since the cache was last emptied: the ring's slots hold positions up to it. */
    private int highWater;
    private boolean closed;

    CpuKvCache(CpuModelExecutor owner, CacheSpec spec, int hidden, boolean[] sliding, int window) {
        this.owner = owner;
        this.spec = spec;
        this.hidden = hidden;
        this.window = window;
        this.slots = slotsPerLayer(spec, sliding, window);
        this.sliding = sliding.clone();
        this.keys = new float[sliding.length][];
        this.values = new float[sliding.length][];
        for (int l = 0; l < sliding.length; l++) {
            int allocated = sliding[l] ? slots[l] : Math.min(INITIAL_SLOTS, slots[l]);
            keys[l] = new float[allocated * hidden];
            values[l] = new float[allocated * hidden];
        }
    }

    private CpuKvCache(CpuKvCache source) {
        this.owner = source.owner;
        this.spec = source.spec;
        this.hidden = source.hidden;
        this.window = source.window;
        this.slots = source.slots;
        this.sliding = source.sliding;
        this.keys = new float[source.keys.length][];
        this.values = new float[source.values.length][];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = source.keys[l].clone();
            values[l] = source.values[l].clone();
        }
        this.length = source.length;
        this.highWater = source.highWater;
    }

    static int[] slotsPerLayer(CacheSpec spec, boolean[] sliding, int window) {
        int[] out = new int[sliding.length];
        for (int l = 0; l < sliding.length; l++) {
            out[l] = sliding[l] ? (int) Math.min(spec.maxLength(), (long) window + spec.rollback()) : spec.maxLength();
        }
        return out;
    }

    /** Bytes of a cache of this spec once it holds maxLength positions: keys and values, float32, every slot of every layer. */
    static long byteSize(CacheSpec spec, boolean[] sliding, int window, int hidden) {
        long total = 0;
        for (int s : slotsPerLayer(spec, sliding, window)) {
            total += 2L * s * hidden * Float.BYTES;
        }
        return total;
    }

    @Override
    public int length() {
        checkOpen();
        return length;
    }

    @Override
    public int maxLength() {
        checkOpen();
        return spec.maxLength();
    }

    @Override
    public long byteSize() {
        checkOpen();
        long total = 0;
        for (float[] k : keys) {
            total += 2L * k.length * Float.BYTES;
        }
        return total;
    }

    /** Makes room for {@code newLength} positions in every full-attention layer (doubling, capped at maxLength). */
    void ensureCapacity(int newLength) {
        for (int l = 0; l < keys.length; l++) {
            if (sliding[l]) {
                continue;
            }
            int allocated = keys[l].length / hidden;
            if (allocated < newLength) {
                int grown = (int) Math.min(spec.maxLength(), Math.max(newLength, 2L * allocated));
                keys[l] = Arrays.copyOf(keys[l], grown * hidden);
                values[l] = Arrays.copyOf(values[l], grown * hidden);
            }
        }
    }

    @Override
    public CpuKvCache fork() {
        checkOpen();
        return new CpuKvCache(this);
    }

    @Override
    public int minTruncateLength() {
        checkOpen();
        int held = minSlots();
        // a ring of s slots holds positions [highWater - s, highWater) of everything written since it
        // was emptied (all of them while highWater <= s); attention at a new end L needs the window
        // before it: L - window >= highWater - s. Using the current length instead would let a
        // second truncate reach slots that later positions already overwrote.
        return held >= spec.maxLength() || highWater <= held ? 0 : Math.max(0, highWater - (held - window));
    }

    @Override
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new ModernBertException("cannot truncate a KV cache of " + length + " positions to " + newLength
                    + ": the new length must be between 0 and the current length");
        }
        if (newLength > 0 && newLength < minTruncateLength()) {
            throw new ModernBertException("cannot truncate a KV cache of " + length + " positions to " + newLength
                    + ": its sliding-window layers keep only the last " + (minSlots()) + " positions, so it can go back to "
                    + minTruncateLength() + " at the earliest; create the cache with a larger CacheSpec.rollback");
        }
        length = newLength;
        if (newLength == 0) {
            highWater = 0;
        }
    }

    private int minSlots() {
        int held = Integer.MAX_VALUE;
        for (int s : slots) {
            held = Math.min(held, s);
        }
        return held;
    }

    @Override
    public void clear() {
        checkOpen();
        length = 0;
        highWater = 0;
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

    /** Slots allocated for a layer (for tests: sliding layers never exceed window + rollback). */
    int slotCount(int layer) {
        checkOpen();
        return slots[layer];
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** The slot of {@code position} in a layer's arrays. */
    int slot(int layer, int position) {
        int n = slots[layer];
        // full-attention layers never wrap: no division in the attention loops for them
        return position < n ? position : position % n;
    }

    void advance(int tokens) {
        length += tokens;
        highWater = Math.max(highWater, length);
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this KV cache is closed: create a new one with ModelExecutor.newCache");
        }
    }
}
