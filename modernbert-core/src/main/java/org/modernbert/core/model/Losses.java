package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;

/** The losses of transformers' heads, computed in double precision from float logits. */
public final class Losses {
    /** Label value that marks a position to ignore, as in PyTorch's cross-entropy. */
    public static final int IGNORE_INDEX = -100;

    private Losses() {
    }

    /** Sum and count of the causal-LM negative log-likelihood of one row (labels shifted left by one). */
    public record NllSum(double sum, int count) {
        public double mean() {
            return count == 0 ? Double.NaN : sum / count;
        }
    }

    /**
     * Causal-LM loss terms of one row: position t predicts {@code labels[t + 1]}; -100 is skipped.
     *
     * @param logits {@code [length * vocab]}
     */
    public static NllSum causalLm(float[] logits, int vocab, int[] labels, int row) {
        double sum = 0;
        int count = 0;
        for (int t = 0; t + 1 < labels.length; t++) {
            int target = labels[t + 1];
            if (target == IGNORE_INDEX) {
                continue;
            }
            if (target < 0 || target >= vocab) {
                throw new ModernBertException("label " + target + " at row " + row + ", position " + (t + 1)
                        + " is outside the vocabulary [0, " + vocab + ") and is not -100");
            }
            sum += crossEntropy(logits, t * vocab, vocab, target);
            count++;
        }
        return new NllSum(sum, count);
    }

    /** {@code -log softmax(logits[offset, offset + n))[target]}. */
    public static double crossEntropy(float[] logits, int offset, int n, int target) {
        return logSumExp(logits, offset, n) - logits[offset + target];
    }

    public static double logSumExp(float[] x, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(x[offset + i] - max);
        }
        return max + Math.log(s);
    }

    /** Mean cross-entropy over rows of {@code logits [rows * labels]} (single-label classification). */
    public static double crossEntropyMean(float[] logits, int labels, int[] classes) {
        double sum = 0;
        for (int r = 0; r < classes.length; r++) {
            if (classes[r] < 0 || classes[r] >= labels) {
                throw new ModernBertException("class label " + classes[r] + " of row " + r + " is outside [0, " + labels + ")");
            }
            sum += crossEntropy(logits, r * labels, labels, classes[r]);
        }
        return sum / classes.length;
    }

    /** Mean squared error over every element (regression). */
    public static double meanSquaredError(float[] logits, float[][] targets) {
        double sum = 0;
        int cols = targets[0].length;
        for (int r = 0; r < targets.length; r++) {
            for (int c = 0; c < cols; c++) {
                double d = logits[r * cols + c] - targets[r][c];
                sum += d * d;
            }
        }
        return sum / ((double) targets.length * cols);
    }

    /** Mean binary cross-entropy with logits over every element (multi-label classification), stable form. */
    public static double binaryCrossEntropyWithLogits(float[] logits, float[][] targets) {
        double sum = 0;
        int cols = targets[0].length;
        for (int r = 0; r < targets.length; r++) {
            for (int c = 0; c < cols; c++) {
                double x = logits[r * cols + c];
                double y = targets[r][c];
                sum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
            }
        }
        return sum / ((double) targets.length * cols);
    }
}
