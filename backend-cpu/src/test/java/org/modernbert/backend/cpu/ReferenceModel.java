package org.modernbert.backend.cpu;

import org.modernbert.api.config.AttentionType;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.HeadWeights;
import org.modernbert.api.model.LayerWeights;
import org.modernbert.api.model.ModelWeights;
import org.modernbert.api.tensor.Tensor;

/**
 * A deliberately plain float64 forward pass of one sequence (no cache, no blocking, no threads),
 * written from the model description, to check the CPU executor against.
 */
final class ReferenceModel {
    private final ModelWeights w;
    private final ModernBertDecoderConfig c;

    ReferenceModel(ModelWeights w) {
        this.w = w;
        this.c = w.config();
    }

    /** Final-norm hidden states {@code [T][hidden]}. */
    double[][] hidden(int[] ids) {
        int n = ids.length;
        int hd = c.hiddenSize();
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] e = new double[hd];
            for (int i = 0; i < hd; i++) {
                e[i] = w.tokenEmbeddings().getFloat((long) ids[t] * hd + i);
            }
            x[t] = norm(e, w.embeddingNorm(), w.embeddingNormBias());
        }
        for (LayerWeights l : w.layers()) {
            double[][] hIn = new double[n][];
            for (int t = 0; t < n; t++) {
                hIn[t] = l.attnNorm() == null ? x[t] : norm(x[t], l.attnNorm(), l.attnNormBias());
            }
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                q[t] = rope(linear(hIn[t], l.wq(), l.bq()), t, l.ropeTheta());
                k[t] = rope(linear(hIn[t], l.wk(), l.bk()), t, l.ropeTheta());
                v[t] = linear(hIn[t], l.wv(), l.bv());
            }
            int heads = c.numAttentionHeads();
            int d = c.headDim();
            int win = c.slidingWindow();
            for (int t = 0; t < n; t++) {
                double[] att = new double[hd];
                for (int hh = 0; hh < heads; hh++) {
                    int lo = l.attentionType() == AttentionType.SLIDING_ATTENTION ? Math.max(0, t - win + 1) : 0;
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int kp = lo; kp <= t; kp++) {
                        double dot = 0;
                        for (int j = 0; j < d; j++) {
                            dot += q[t][hh * d + j] * k[kp][hh * d + j];
                        }
                        s[kp] = dot / Math.sqrt(d);
                        max = Math.max(max, s[kp]);
                    }
                    double sum = 0;
                    for (int kp = lo; kp <= t; kp++) {
                        s[kp] = Math.exp(s[kp] - max);
                        sum += s[kp];
                    }
                    for (int kp = lo; kp <= t; kp++) {
                        for (int j = 0; j < d; j++) {
                            att[hh * d + j] += s[kp] / sum * v[kp][hh * d + j];
                        }
                    }
                }
                add(x[t], linear(att, l.wo(), l.bo()));
            }
            int inter = c.intermediateSize();
            for (int t = 0; t < n; t++) {
                double[] u = linear(norm(x[t], l.mlpNorm(), l.mlpNormBias()), l.wi(), l.bi());
                double[] g = new double[inter];
                for (int j = 0; j < inter; j++) {
                    g[j] = c.hiddenActivation().apply(u[j]) * u[inter + j];
                }
                add(x[t], linear(g, l.wMlpOut(), l.bMlpOut()));
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            out[t] = norm(x[t], w.finalNorm(), w.finalNormBias());
        }
        return out;
    }

    /** Head outputs of every position {@code [T][outputs]}. */
    double[][] logits(int[] ids) {
        double[][] hs = hidden(ids);
        HeadWeights hw = w.head();
        double[][] out = new double[hs.length][];
        for (int t = 0; t < hs.length; t++) {
            double[] z = linear(hs[t], hw.dense(), hw.denseBias());
            for (int i = 0; i < z.length; i++) {
                z[i] = hw.activation().apply(z[i]);
            }
            out[t] = linear(norm(z, hw.norm(), hw.normBias()), hw.projection(), hw.projectionBias());
        }
        return out;
    }

    private double[] norm(double[] x, Tensor weight, Tensor bias) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + c.normEps()) * weight.getFloat(i) + (bias == null ? 0 : bias.getFloat(i));
        }
        return out;
    }

    private static double[] linear(double[] x, Tensor wt, Tensor bias) {
        int out = (int) wt.dim(0);
        int in = (int) wt.dim(1);
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : bias.getFloat(o);
            for (int i = 0; i < in; i++) {
                s += x[i] * wt.getFloat((long) o * in + i);
            }
            y[o] = s;
        }
        return y;
    }

    private double[] rope(double[] x, int pos, double theta) {
        int d = c.headDim();
        int half = d / 2;
        double[] out = x.clone();
        for (int hh = 0; hh < c.numAttentionHeads(); hh++) {
            for (int j = 0; j < half; j++) {
                double a = pos * Math.pow(theta, -2.0 * j / d);
                double x1 = x[hh * d + j];
                double x2 = x[hh * d + j + half];
                out[hh * d + j] = x1 * Math.cos(a) - x2 * Math.sin(a);
                out[hh * d + j + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
            }
        }
        return out;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
