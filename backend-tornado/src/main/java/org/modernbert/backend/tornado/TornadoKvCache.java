package org.modernbert.backend.tornado;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.CacheSpec;
import org.modernbert.api.cache.KvCache;

/**
 * One sequence's keys and values, on the device: a range of {@code fullSlots} slots in the
 * full-attention pool (position {@code p} in slot {@code fullBase + p}) and a ring of {@code ring}
 * slots in the sliding pool ({@code slideBase + p % ring}), in every layer of that pool. The host
 * keeps only the bookkeeping: truncate and clear change lengths, fork copies the slots on the device.
 */
final class TornadoKvCache implements KvCache {
    private final TornadoModelExecutor owner;
    private final CacheSpec spec;
    final int fullBase;
    final int fullSlots;
    final int slideBase;
    final int ring;
    private int length;
    /** The longest length since the cache was last emptied: ring slots hold positions up to it. */
    private int highWater;
    private boolean closed;
    private boolean broken;

    TornadoKvCache(TornadoModelExecutor owner, CacheSpec spec, int fullBase, int fullSlots, int slideBase, int ring) {
        this.owner = owner;
        this.spec = spec;
        this.fullBase = fullBase;
        this.fullSlots = fullSlots;
        this.slideBase = slideBase;
        this.ring = ring;
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

    CacheSpec spec() {
        return spec;
    }

    @Override
    public long byteSize() {
        checkOpen();
        return owner.cacheBytes(spec);
    }

    @Override
    public KvCache fork() {
        checkOpen();
        TornadoKvCache copy = owner.fork(this);
        copy.length = length;
        copy.highWater = highWater;
        copy.broken = broken;
        return copy;
    }

    /** 0 while every layer holds every position written since the cache was emptied, else {@code highWater - rollback}. */
    @Override
    public int minTruncateLength() {
        checkOpen();
        return ring == 0 || highWater <= ring ? 0 : highWater - spec.rollback();
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
                    + ": its sliding-window layers keep only the last " + ring + " positions, so it can go back to "
                    + minTruncateLength() + " at the earliest; create the cache with a larger CacheSpec.rollback");
        }
        length = newLength;
        if (newLength == 0) {
            highWater = 0;
            broken = false;
        }
    }

    @Override
    public void clear() {
        truncate(0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            owner.release(this);
        }
    }

    TornadoModelExecutor owner() {
        return owner;
    }

    boolean isClosed() {
        return closed;
    }

    boolean isBroken() {
        return broken;
    }

    void markBroken() {
        broken = true;
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
