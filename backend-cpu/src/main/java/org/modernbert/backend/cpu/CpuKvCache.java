package org.modernbert.backend.cpu;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.cache.KvCache;
import org.modernbert.backend.cpu.kernel.Attention;

import java.util.Arrays;

/**
 * Keys and values of one sequence, per layer and head, in the layout of {@link Attention} (keys
 * already rotated by RoPE, transposed in blocks of LANES slots; values {@code [slot][headDim]}).
 * Full-attention layers hold position {@code p} in slot {@code p} and grow by doubling up to
 * {@code maxLength} (rounded up to LANES; so a cache made for the model's whole context costs only
 * what it holds); sliding layers are a ring buffer (position {@code p} in slot {@code p % ring}),
 * allocated at once, so their memory stays O(window). The truncation rules use the logical ring of
 * {@code window + rollback} slots ({@link #slotCount}); the physical ring ({@link #ringSlots}) is at
 * least that, rounded up to LANES and wide enough for a block of queries (see
 * {@link Attention#ringSlots}), so it holds every position the logical one does.
 */
final class CpuKvCache implements KvCache {
    private static final int INITIAL_SLOTS = 64;

    private final CpuModelExecutor owner;
    private final CacheSpec spec;
    private final int heads;
    private final int headDim;
    private final int window;
    /** Slots per layer when full: maxLength on full layers, min(maxLength, window + rollback) on sliding ones. */
    private final int[] slots;
    /** Physical ring slots of sliding layers (a multiple of LANES), 0 on full layers (no wrap). */
    private final int[] ring;
    private final boolean[] sliding;
    /** {@code [layer][head]}: see {@link Attention} for the layout. */
    private float[][][] keys;
    private float[][][] values;
    private int length;
    /** The longest length reached since the cache was last emptied: the ring's slots hold positions up to it. */
    private int highWater;
    private boolean closed;
    private boolean broken;

    CpuKvCache(CpuModelExecutor owner, CacheSpec spec, int heads, int headDim, boolean[] sliding, int window) {
        this.owner = owner;
        this.spec = spec;
        this.heads = heads;
        this.headDim = headDim;
        this.window = window;
        this.slots = slotsPerLayer(spec, sliding, window);
        this.sliding = sliding.clone();
        this.ring = new int[sliding.length];
        this.keys = new float[sliding.length][heads][];
        this.values = new float[sliding.length][heads][];
        for (int l = 0; l < sliding.length; l++) {
            ring[l] = sliding[l] ? Attention.ringSlots(window, spec.rollback(), spec.maxLength()) : 0;
            int allocated = sliding[l] ? ring[l] : Math.min(INITIAL_SLOTS, Attention.roundUp(spec.maxLength()));
            for (int h = 0; h < heads; h++) {
                keys[l][h] = new float[allocated * headDim];
                values[l][h] = new float[allocated * headDim];
            }
        }
    }

    private CpuKvCache(CpuKvCache source) {
        this.owner = source.owner;
        this.spec = source.spec;
        this.heads = source.heads;
        this.headDim = source.headDim;
        this.window = source.window;
        this.slots = source.slots;
        this.ring = source.ring;
        this.sliding = source.sliding;
        this.keys = new float[source.keys.length][heads][];
        this.values = new float[source.values.length][heads][];
        for (int l = 0; l < keys.length; l++) {
            for (int h = 0; h < heads; h++) {
                keys[l][h] = source.keys[l][h].clone();
                values[l][h] = source.values[l][h].clone();
            }
        }
        this.length = source.length;
        this.highWater = source.highWater;
        this.broken = source.broken;
    }

    static int[] slotsPerLayer(CacheSpec spec, boolean[] sliding, int window) {
        int[] out = new int[sliding.length];
        for (int l = 0; l < sliding.length; l++) {
            out[l] = sliding[l] ? (int) Math.min(spec.maxLength(), (long) window + spec.rollback()) : spec.maxLength();
        }
        return out;
    }

    /**
     * Bytes of a cache of this spec once it holds maxLength positions: keys and values, float32, every
     * allocated slot of every layer (full layers rounded up to LANES, sliding ones the physical ring).
     */
    static long byteSize(CacheSpec spec, boolean[] sliding, int window, int hidden) {
        long total = 0;
        for (boolean s : sliding) {
            int allocated = s ? Attention.ringSlots(window, spec.rollback(), spec.maxLength()) : Attention.roundUp(spec.maxLength());
            total += 2L * allocated * hidden * Float.BYTES;
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
        for (float[][] layer : keys) {
            for (float[] k : layer) {
                total += 2L * k.length * Float.BYTES;
            }
        }
        return total;
    }

    /** Makes room for {@code newLength} positions in every full-attention layer (doubling, capped at maxLength). */
    void ensureCapacity(int newLength) {
        for (int l = 0; l < keys.length; l++) {
            if (sliding[l]) {
                continue;
            }
            int allocated = keys[l][0].length / headDim;
            if (allocated < newLength) {
                // whole LANES blocks, so the transposed key blocks keep their offsets
                int grown = (int) Math.min(Attention.roundUp(spec.maxLength()), Math.max(Attention.roundUp(newLength), 2L * allocated));
                for (int h = 0; h < heads; h++) {
                    keys[l][h] = Arrays.copyOf(keys[l][h], grown * headDim);
                    values[l][h] = Arrays.copyOf(values[l][h], grown * headDim);
                }
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
        broken = false;
    }

    /** After a step that failed half way: some layers hold that step's keys, so only clear() makes it usable again. */
    void markBroken() {
        broken = true;
    }

    boolean isBroken() {
        return broken;
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

    /** Positions a layer keeps for the truncation rules: window + rollback on sliding layers (capped at maxLength). */
    int slotCount(int layer) {
        checkOpen();
        return slots[layer];
    }

    /** Physical ring slots of a sliding layer (a multiple of LANES, at least {@link #slotCount}); 0 on full layers. */
    int ringSlots(int layer) {
        return ring[layer];
    }

    float[] keys(int layer, int head) {
        return keys[layer][head];
    }

    float[] values(int layer, int head) {
        return values[layer][head];
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
