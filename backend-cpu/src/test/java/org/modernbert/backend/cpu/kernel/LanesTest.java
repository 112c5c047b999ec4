package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LanesTest {
    @Test
    void laneSumAddsPairwiseHalvesInAFixedOrder() {
        Random rnd = new Random(4);
        for (int trial = 0; trial < 200; trial++) {
            float[] lanes = new float[Lanes.LANES];
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
            }
            float[] r = lanes.clone();
            for (int half = r.length / 2; half > 0; half /= 2) {
                for (int i = 0; i < half; i++) {
                    r[i] += r[i + half];
                }
            }
            assertEquals(r[0], Lanes.sum(FloatVector.fromArray(Lanes.F, lanes, 0)));
        }
    }
}
