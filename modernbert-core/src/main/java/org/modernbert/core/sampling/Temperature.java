package org.modernbert.core.sampling;

import org.modernbert.api.ModernBertException;

/** transformers' {@code TemperatureLogitsWarper}: scores divided by the temperature. */
public final class Temperature implements LogitsProcessor {
    private final float temperature;

    public Temperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new ModernBertException("temperature must be a positive number when sampling, got " + temperature);
        }
        this.temperature = (float) temperature;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scores[i] / temperature;
        }
    }
}
