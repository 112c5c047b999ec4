package org.modernbert.spark;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Per-row sampling seeds derived from the job's seed and the row's id, so a row samples the same
 * text whichever partition, batch, executor or task attempt processes it. The row's seed is written
 * to the output: {@code ./modernbert generate --seed SEED} reproduces the row alone.
 */
public final class RowSeeds {
    private RowSeeds() {
    }

    /** SplitMix64 of the job seed mixed with the first 8 bytes of SHA-256(row id, UTF-8). */
    public static long derive(long jobSeed, String rowId) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(rowId.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        long idHash = 0;
        for (int i = 0; i < 8; i++) {
            idHash = (idHash << 8) | (h[i] & 0xff);
        }
        return mix(mix(jobSeed) ^ idHash);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
