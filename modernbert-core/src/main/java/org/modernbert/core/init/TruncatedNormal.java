package org.modernbert.core.init;

import java.util.SplittableRandom;

/**
 * Samples of torch's {@code nn.init.trunc_normal_(w, mean=0, std=std, a=-c*std, b=c*std)}: the normal
 * distribution N(0, std²) conditioned on |x| <= c·std. Drawn by rejection (a standard normal draw outside
 * [-c, c] is drawn again), which gives exactly that distribution; as torch does, the result is clamped to
 * the bounds after the conversion to float, so no value lies beyond the cutoff.
 */
public final class TruncatedNormal {
    private final double std;
    private final double cutoffFactor;
    private final float bound;

    /** @param cutoffFactor the cutoff in standard deviations (transformers' {@code initializer_cutoff_factor}), > 0 */
    public TruncatedNormal(double std, double cutoffFactor) {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("std must be a finite number >= 0, got " + std);
        }
        if (!(cutoffFactor > 0) || Double.isInfinite(cutoffFactor)) {
            throw new IllegalArgumentException("cutoff factor must be a finite number > 0, got " + cutoffFactor);
        }
        this.std = std;
        this.cutoffFactor = cutoffFactor;
        float b = (float) (cutoffFactor * std);
        this.bound = b > cutoffFactor * std ? Math.nextDown(b) : b;
    }

    public double std() {
        return std;
    }

    public double cutoffFactor() {
        return cutoffFactor;
    }

    /** The largest magnitude a sample can have: c·std, as a float (rounded down). */
    public float bound() {
        return bound;
    }

    /** Fills {@code out[offset, offset + count)} with samples drawn from {@code random}. */
    public void fill(SplittableRandom random, float[] out, int offset, int count) {
        int end = offset + count;
        for (int i = offset; i < end; i++) {
            double z;
            do {
                z = random.nextGaussian();
            } while (Math.abs(z) > cutoffFactor);
            float v = (float) (z * std);
            out[i] = v > bound ? bound : v < -bound ? -bound : v;
        }
    }
}
