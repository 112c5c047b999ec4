package org.modernbert.core.sampling;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Draw frequencies follow the processed distribution: 20 000 draws with a fixed seed over a small
 * vocabulary; the expected probabilities are written out by hand from the warper definitions, and
 * the chi-square statistic must stay under the 0.1% critical value.
 */
class SamplingStatisticsTest {
    private static final int DRAWS = 20_000;
    // Probabilities 0.35, 0.25, 0.2, 0.1, 0.06, 0.04 as logits.
    private static final double[] P = {0.35, 0.25, 0.2, 0.1, 0.06, 0.04};
    /** Chi-square 0.999 quantiles for 1..5 degrees of freedom. */
    private static final double[] CRITICAL = {0, 10.83, 13.82, 16.27, 18.47, 20.52};

    private static float[] logits() {
        float[] l = new float[P.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) Math.log(P[i]);
        }
        return l;
    }

    private static void assertFollows(LogitsProcessor processor, double[] expected, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] counts = new int[expected.length];
        float[] scores = new float[P.length];
        for (int d = 0; d < DRAWS; d++) {
            System.arraycopy(logits(), 0, scores, 0, scores.length);
            processor.process(new int[0], 0, 0, scores);
            counts[Sampler.sample(scores, rng)]++;
        }
        double chi2 = 0;
        int df = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0) {
                assertEquals(0, counts[i], "token " + i + " was removed but drawn");
                continue;
            }
            double e = expected[i] * DRAWS;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            df++;
        }
        assertTrue(chi2 < CRITICAL[df], "chi-square " + chi2 + " with " + df + " degrees of freedom, counts "
                + java.util.Arrays.toString(counts));
    }

    private static double[] normalize(double... w) {
        double s = 0;
        for (double x : w) {
            s += x;
        }
        double[] out = w.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] /= s;
        }
        return out;
    }

    @Test
    void plainSoftmax() {
        assertFollows(new LogitsProcessorList(java.util.List.of()), P, 1);
    }

    @Test
    void temperatureSharpensAsPToThePowerOneOverT() {
        double[] w = new double[P.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.pow(P[i], 1 / 0.5);
        }
        assertFollows(new Temperature(0.5), normalize(w), 2);
    }

    @Test
    void topKRenormalizesTheKBest() {
        assertFollows(new TopK(3), normalize(0.35, 0.25, 0.2, 0, 0, 0), 3);
    }

    @Test
    void topPKeepsTheNucleus() {
        // top_p 0.75: ascending cumulative 0.04, 0.10, 0.20 are <= 0.25 and removed; 0.40 is kept.
        assertFollows(new TopP(0.75), normalize(0.35, 0.25, 0.2, 0, 0, 0), 4);
    }

    @Test
    void minPCutsBelowAFractionOfTheTop() {
        // min_p 0.25: threshold 0.0875, so 0.06 and 0.04 go.
        assertFollows(new MinP(0.25), normalize(0.35, 0.25, 0.2, 0.1, 0, 0), 5);
    }

    @Test
    void temperatureThenTopKThenTopPInOrder() {
        // T = 2: weights sqrt(p) = .5916 .5 .4472 .3162 .2449 .2; top_k 4 keeps the first four,
        // renormalized .3255 .2751 .2461 .1740 (sum 1.855); top_p 0.8 removes ascending cumulative
        // <= 0.2: .1740 goes; the rest renormalized.
        LogitsProcessorList list = LogitsProcessorList.standard(1.0, 0, 0, new int[0], true, 2.0, 4, 0.8, null, 1.0);
        assertFollows(list, normalize(Math.sqrt(0.35), Math.sqrt(0.25), Math.sqrt(0.2), 0, 0, 0), 6);
    }
}
