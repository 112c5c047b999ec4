package org.modernbert.core.pipeline;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.config.ProblemType;

/** transformers' {@code function_to_apply} of the text-classification pipeline. */
public enum ScoreFunction {
    SOFTMAX, SIGMOID, NONE;

    /**
     * transformers' choice when none is given ({@code TextClassificationPipeline.postprocess}): none
     * for {@code regression} (raw values, whatever {@code num_labels}); sigmoid for
     * {@code multi_label_classification} or a single label; softmax for
     * {@code single_label_classification} or several labels; none otherwise.
     */
    public static ScoreFunction defaultFor(ModernBertDecoderConfig config) {
        ProblemType p = config.problemType();
        if (p == ProblemType.REGRESSION) {
            return NONE;
        }
        if (p == ProblemType.MULTI_LABEL_CLASSIFICATION || config.numLabels() == 1) {
            return SIGMOID;
        }
        if (p == ProblemType.SINGLE_LABEL_CLASSIFICATION || config.numLabels() > 1) {
            return SOFTMAX;
        }
        return NONE;
    }

    /** Parses {@code softmax}, {@code sigmoid} or {@code none}. */
    public static ScoreFunction parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "softmax" -> SOFTMAX;
            case "sigmoid" -> SIGMOID;
            case "none" -> NONE;
            default -> throw new ModernBertException("function_to_apply is '" + name + "': expected softmax, sigmoid or none");
        };
    }

    /** Scores of one row of logits (softmax in double precision, max-shifted). */
    public double[] apply(float[] logits) {
        double[] out = new double[logits.length];
        switch (this) {
            case SOFTMAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (float l : logits) {
                    max = Math.max(max, l);
                }
                double sum = 0;
                for (int i = 0; i < logits.length; i++) {
                    out[i] = Math.exp(logits[i] - max);
                    sum += out[i];
                }
                for (int i = 0; i < out.length; i++) {
                    out[i] /= sum;
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < logits.length; i++) {
                    out[i] = 1.0 / (1.0 + Math.exp(-(double) logits[i]));
                }
            }
            case NONE -> {
                for (int i = 0; i < logits.length; i++) {
                    out[i] = logits[i];
                }
            }
        }
        return out;
    }
}
