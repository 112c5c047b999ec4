package org.modernbert.backend.tornado;

import java.util.Map;
import java.util.TreeMap;

/**
 * Host bookkeeping of one device KV pool: which ranges of slots are free (first fit, neighbours merged
 * on release). Slot 0 is never handed out: the warm-up step writes there.
 */
final class SlotPool {
    private final int slots;
    /** Free ranges: start to length. */
    private final TreeMap<Integer, Integer> free = new TreeMap<>();

    SlotPool(int slots) {
        this.slots = slots;
        if (slots > 1) {
            free.put(1, slots - 1);
        }
    }

    int slots() {
        return slots;
    }

    /** The first slot of a free range of {@code n} slots, or -1 when there is none. */
    int allocate(int n) {
        if (n == 0) {
            return 0;
        }
        for (Map.Entry<Integer, Integer> e : free.entrySet()) {
            if (e.getValue() >= n) {
                int start = e.getKey();
                free.remove(start);
                if (e.getValue() > n) {
                    free.put(start + n, e.getValue() - n);
                }
                return start;
            }
        }
        return -1;
    }

    void release(int start, int n) {
        if (n == 0) {
            return;
        }
        int length = n;
        Map.Entry<Integer, Integer> after = free.ceilingEntry(start);
        if (after != null && after.getKey() == start + length) {
            length += after.getValue();
            free.remove(after.getKey());
        }
        Map.Entry<Integer, Integer> before = free.floorEntry(start);
        if (before != null && before.getKey() + before.getValue() == start) {
            free.put(before.getKey(), before.getValue() + length);
        } else {
            free.put(start, length);
        }
    }

    /** Slots handed out now. */
    int used() {
        int f = 0;
        for (int len : free.values()) {
            f += len;
        }
        return slots - 1 - f;
    }
}
