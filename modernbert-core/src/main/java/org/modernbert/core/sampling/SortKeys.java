package org.modernbert.core.sampling;

/**
 * Sorting (float value, index) pairs without boxing: each pair is packed into one long whose signed
 * order is the float's order, then the index's, so {@code Arrays.sort(long[])} sorts by value with
 * ties broken by the lower index.
 */
final class SortKeys {
    private SortKeys() {
    }

    static long pack(float value, int index) {
        int bits = Float.floatToIntBits(value);
        // Negative floats order backwards as ints: flip their magnitude bits.
        if (bits < 0) {
            bits ^= 0x7fffffff;
        }
        return ((long) bits << 32) | (index & 0xffffffffL);
    }

    static int index(long key) {
        return (int) key;
    }

    static float value(long key) {
        int bits = (int) (key >> 32);
        if (bits < 0) {
            bits ^= 0x7fffffff;
        }
        return Float.intBitsToFloat(bits);
    }
}
