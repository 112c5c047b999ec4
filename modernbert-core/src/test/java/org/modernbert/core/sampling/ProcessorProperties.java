package org.modernbert.core.sampling;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessorProperties {
    private static float[] array(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = values.get(i);
        }
        return a;
    }

    @Property(tries = 300)
    void topKKeepsExactlyTheScoresAtOrAboveTheKthLargest(@ForAll @Size(min = 1, max = 60) List<@FloatRange(min = -5, max = 5) Float> values,
                                                         @ForAll @IntRange(min = 1, max = 70) int k) {
        float[] s = array(values);
        float[] sorted = s.clone();
        Arrays.sort(sorted);
        float threshold = k >= s.length ? Float.NEGATIVE_INFINITY : sorted[s.length - k];
        float[] before = s.clone();
        new TopK(k).process(null, 0, 0, s);
        int kept = 0;
        for (int i = 0; i < s.length; i++) {
            boolean keep = before[i] >= threshold;
            assertEquals(keep ? before[i] : Float.NEGATIVE_INFINITY, s[i]);
            kept += keep ? 1 : 0;
        }
        assertTrue(kept >= Math.min(k, s.length));
    }

    @Property(tries = 300)
    void topPKeepsAtLeastTopPOfTheMassAndTheBestToken(@ForAll @Size(min = 1, max = 40) List<@FloatRange(min = -6, max = 6) Float> values,
                                                      @ForAll @DoubleRange(min = 0.01, max = 1.0) double topP) {
        float[] s = array(values);
        float[] before = s.clone();
        new TopP(topP).process(null, 0, 0, s);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : before) {
            max = Math.max(max, v);
        }
        double total = 0;
        double kept = 0;
        for (int i = 0; i < s.length; i++) {
            double w = Math.exp(before[i] - max);
            total += w;
            if (s[i] != Float.NEGATIVE_INFINITY) {
                kept += w;
                assertEquals(before[i], s[i]);
            }
        }
        assertTrue(kept / total >= topP - 1e-6, "kept mass " + kept / total + " < top_p " + topP);
        assertTrue(s[Sampler.argmax(before)] != Float.NEGATIVE_INFINITY, "the best token survives");
    }

    @Property(tries = 200)
    void samplesComeOnlyFromSurvivingTokens(@ForAll @Size(min = 2, max = 40) List<@FloatRange(min = -6, max = 6) Float> values,
                                            @ForAll @IntRange(min = 1, max = 5) int k, @ForAll long seed) {
        float[] s = array(values);
        new TopK(k).process(null, 0, 0, s);
        new MinP(0.1).process(null, 0, 0, s);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int d = 0; d < 20; d++) {
            assertTrue(s[Sampler.sample(s, rng)] != Float.NEGATIVE_INFINITY);
        }
    }
}
