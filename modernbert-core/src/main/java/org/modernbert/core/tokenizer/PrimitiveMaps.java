package org.modernbert.core.tokenizer;

import java.util.Arrays;

/** Open-addressing hash maps with primitive keys, so look-ups in the hot path never box. */
final class PrimitiveMaps {
    private PrimitiveMaps() {
    }

    /** long -> long; keys must not be -1. */
    static final class LongLongMap {
        private long[] keys;
        private long[] values;
        private int size;
        private int mask;

        LongLongMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
            keys = new long[cap];
            values = new long[cap];
            Arrays.fill(keys, -1L);
            mask = cap - 1;
        }

        private static int hash(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        /** Stores the value unless the key is present; returns whether it was stored. */
        boolean putIfAbsent(long key, long value) {
            if ((size + 1) * 2 > keys.length) {
                grow();
            }
            int i = hash(key) & mask;
            while (keys[i] != -1L) {
                if (keys[i] == key) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            keys[i] = key;
            values[i] = value;
            size++;
            return true;
        }

        long get(long key, long missing) {
            int i = hash(key) & mask;
            long k;
            while ((k = keys[i]) != -1L) {
                if (k == key) {
                    return values[i];
                }
                i = (i + 1) & mask;
            }
            return missing;
        }

        private void grow() {
            long[] oldKeys = keys;
            long[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new long[oldKeys.length * 2];
            Arrays.fill(keys, -1L);
            mask = keys.length - 1;
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != -1L) {
                    putIfAbsent(oldKeys[i], oldValues[i]);
                }
            }
        }
    }
}
