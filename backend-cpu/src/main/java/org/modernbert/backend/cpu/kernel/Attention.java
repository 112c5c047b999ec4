package org.modernbert.backend.cpu.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static org.modernbert.backend.cpu.kernel.Lanes.F;
import static org.modernbert.backend.cpu.kernel.Lanes.LANES;

/**
 * Flash-style causal attention of one head: online softmax (running max and sum per query, the
 * output accumulator rescaled when the max grows), never a {@code [queries x keys]} matrix.
 *
 * <p>Cache layout, per (layer, head), {@code slots} a multiple of {@link Lanes#LANES}:
 * <ul>
 * <li>keys: {@code [slot / LANES][headDim][LANES]}: the scores of LANES consecutive keys for one
 * query are headDim broadcast-FMAs, with no lane reduction;</li>
 * <li>values: {@code [slot][headDim]}: P·V adds LANES rows, vectorised over the head dimension.</li>
 * </ul>
 * Both arrays hold the keys of slot {@code s} from offset {@code s * headDim} on when {@code s} is a
 * multiple of LANES. Position {@code p} lives in slot {@code p} on full layers ({@code ring} 0) and in
 * slot {@code p % ring} on sliding ones; since the ring is a multiple of LANES, an aligned block of
 * LANES positions is one block of slots, so the modulo is taken once per block, not per key.
 *
 * <p>Masking is by position in the sequence: query {@code p} sees keys {@code lo..p}, {@code lo} =
 * {@code p - window + 1} (at least 0) on sliding layers, 0 on full ones.
 *
 * <p>Arithmetic is float, in a fixed order, with {@link VectorExp}'s polynomial exp: the interpreter
 * and every JIT tier give the same bits.
 */
public final class Attention {
    /** Queries handled together: one unit of a full layer, one ring write of a sliding one. */
    public static final int BLOCK = 32;
    /** Queries that share each key and value load. */
    private static final int TILE = 4;

    private static final int SHIFT = Integer.numberOfTrailingZeros(LANES);
    // Lane indices as floats. Kept as an array and loaded where used: C2 cannot turn a constant vector
    // object merged into a loop (or a static FloatVector) into a register and boxes every vector instead.
    private static final float[] IOTA = iota();

    private Attention() {
    }

    private static float[] iota() {
        float[] a = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Slots rounded up to a whole number of LANES blocks. */
    public static int roundUp(int slots) {
        return (slots + LANES - 1) & -LANES;
    }

    /**
     * Ring slots of a sliding layer: the window plus the rollback, and at least window + BLOCK - 1 so
     * that writing a block's keys before its queries never overwrites a key the block's first query
     * reads. A cache that can never wrap (maxLength within that) gets maxLength slots.
     */
    public static int ringSlots(int window, int rollback, int maxLength) {
        long wanted = (long) window + Math.max(rollback, BLOCK - 1);
        return roundUp((int) Math.min(maxLength, wanted));
    }

    /** Units of work for {@code queries} new tokens of one (sequence, head): query blocks on full layers, one on sliding ones. */
    public static int units(int queries, boolean sliding) {
        return sliding ? 1 : (queries + BLOCK - 1) / BLOCK;
    }

    /** Per-worker scratch for one head dimension; holds the state of up to BLOCK queries. */
    public static final class Scratch {
        final int headDim;
        final float[] q;
        final float[] acc;
        final float[] sums;
        final float[] max;
        /** Scores of up to a tile of queries against one key block, one row of LANES per query. */
        final float[] s = new float[TILE * LANES];
        /** Their unnormalised probabilities (exp(score - max)), same rows. */
        final float[] p = new float[TILE * LANES];

        public Scratch(int headDim) {
            this.headDim = headDim;
            q = new float[BLOCK * headDim];
            acc = new float[BLOCK * headDim];
            sums = new float[BLOCK * LANES];
            max = new float[BLOCK];
        }
    }

    /**
     * Writes the keys and values of positions {@code from .. from + count - 1} of one head into its
     * cache arrays; row {@code t} is read at {@code off + t * stride} of {@code k} and {@code v}.
     */
    public static void write(float[] k, float[] v, int off, int stride, int count, int from, int headDim, int ring,
                             float[] keys, float[] values) {
        int slot = ring == 0 ? from : from % ring;
        for (int t = 0; t < count; t++) {
            int src = off + t * stride;
            int kb = (slot & -LANES) * headDim + (slot & (LANES - 1));
            for (int d = 0; d < headDim; d++) {
                keys[kb + d * LANES] = k[src + d];
            }
            System.arraycopy(v, src, values, slot * headDim, headDim);
            if (++slot == ring) {
                slot = 0;
            }
        }
    }

    /**
     * Attention of {@code count <= BLOCK} consecutive queries at sequence positions {@code first ..
     * first + count - 1} (query {@code i} read at {@code qOff + i * qStride}, pre-scaled here by
     * {@code scale}) over the keys in the cache arrays, which must already hold every key they see.
     * Writes the output row of query {@code i} at {@code outOff + i * outStride}. If {@code probs} is
     * not null, also writes the probabilities of query {@code i} at {@code probsOff + i * probsStride
     * + keyPosition} (a second pass with the final max and sum; entries outside the mask untouched).
     *
     * @param window the sliding window, or 0 on full-attention layers
     * @param ring   the ring size of a sliding layer, or 0 when position p is in slot p
     */
    public static void attend(float[] q, int qOff, int qStride, int first, int count, int window,
                              float[] keys, float[] values, int ring, int headDim, float scale,
                              float[] out, int outOff, int outStride,
                              float[] probs, int probsOff, int probsStride, Scratch sc) {
        if (count > BLOCK || sc.headDim != headDim) {
            throw new IllegalArgumentException("attention block of " + count + " queries (max " + BLOCK + "), head dim "
                    + headDim + " (scratch for " + sc.headDim + ")");
        }
        float[] qs = sc.q;
        float[] acc = sc.acc;
        float[] sums = sc.sums;
        float[] max = sc.max;
        for (int i = 0; i < count; i++) {
            int src = qOff + i * qStride;
            for (int d = 0; d < headDim; d++) {
                qs[i * headDim + d] = q[src + d] * scale;
            }
            java.util.Arrays.fill(acc, i * headDim, (i + 1) * headDim, 0f);
            max[i] = Float.NEGATIVE_INFINITY;
        }
        java.util.Arrays.fill(sums, 0, count * LANES, 0f);
        // Key block by key block, so a block's keys and values are read from memory once and then
        // stay in L1 for every query of the unit. Four queries at a time share each key and value
        // vector load (and give the FMAs sixteen independent chains); the rest go one at a time. Both
        // do the same operations per query in the same order, so a query's result depends neither
        // on which others share its tile nor on the unit it is in.
        int tiled = count - count % TILE;
        int last = first + count - 1;
        int kLo = window > 0 ? Math.max(0, first - window + 1) : 0;
        for (int b = kLo >> SHIFT; b <= last >> SHIFT; b++) {
            int base = b << SHIFT;
            int slot = ring == 0 || base < ring ? base : base % ring;
            int ko = slot * headDim;
            // queries before base do not see this block; on sliding layers later ones may have left it behind
            for (int i = Math.max(0, base - first) & -TILE; i < tiled; i += TILE) {
                if (window > 0 && first + i - window + 1 > base + LANES - 1) {
                    break;
                }
                block4(sc, i, first, base, ko, window, keys, values, headDim);
            }
            for (int i = Math.max(tiled, base - first); i < count; i++) {
                if (window > 0 && first + i - window + 1 > base + LANES - 1) {
                    break;
                }
                block1(sc, i, first + i, base, ko, window, keys, values, headDim);
            }
        }
        for (int i = 0; i < count; i++) {
            float sum = 0;
            for (int j = 0; j < LANES; j++) {
                sum += sums[i * LANES + j];
            }
            float inv = 1f / sum;
            int ao = i * headDim;
            int o = outOff + i * outStride;
            int d = 0;
            for (; d + LANES <= headDim; d += LANES) {
                FloatVector.fromArray(F, acc, ao + d).mul(inv).intoArray(out, o + d);
            }
            for (; d < headDim; d++) {
                out[o + d] = acc[ao + d] * inv;
            }
            if (probs != null) {
                probabilities(qs, ao, first + i, window, keys, ring, headDim, max[i], inv, probs, probsOff + i * probsStride, sc.s);
            }
        }
    }

    /** Queries {@code i0 .. i0 + 3} of the unit against the key block at {@code base} (slot offset {@code ko}). */
    private static void block4(Scratch sc, int i0, int first, int base, int ko, int window, float[] keys, float[] values,
                               int headDim) {
        float[] qs = sc.q;
        float[] acc = sc.acc;
        float[] pj = sc.p;
        float[] sv = sc.s;
        int q0 = i0 * headDim, q1 = q0 + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        // scores: for each query four chains over d (d mod 4), summed (0 + 1) + (2 + 3), as in scores()
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        FloatVector d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int d = 0;
        for (; d + 4 <= headDim; d += 4) {
            int kk = ko + d * LANES;
            FloatVector k0 = FloatVector.fromArray(F, keys, kk);
            FloatVector k1 = FloatVector.fromArray(F, keys, kk + LANES);
            FloatVector k2 = FloatVector.fromArray(F, keys, kk + 2 * LANES);
            FloatVector k3 = FloatVector.fromArray(F, keys, kk + 3 * LANES);
            a0 = k0.fma(FloatVector.broadcast(F, qs[q0 + d]), a0);
            a1 = k1.fma(FloatVector.broadcast(F, qs[q0 + d + 1]), a1);
            a2 = k2.fma(FloatVector.broadcast(F, qs[q0 + d + 2]), a2);
            a3 = k3.fma(FloatVector.broadcast(F, qs[q0 + d + 3]), a3);
            b0 = k0.fma(FloatVector.broadcast(F, qs[q1 + d]), b0);
            b1 = k1.fma(FloatVector.broadcast(F, qs[q1 + d + 1]), b1);
            b2 = k2.fma(FloatVector.broadcast(F, qs[q1 + d + 2]), b2);
            b3 = k3.fma(FloatVector.broadcast(F, qs[q1 + d + 3]), b3);
            c0 = k0.fma(FloatVector.broadcast(F, qs[q2 + d]), c0);
            c1 = k1.fma(FloatVector.broadcast(F, qs[q2 + d + 1]), c1);
            c2 = k2.fma(FloatVector.broadcast(F, qs[q2 + d + 2]), c2);
            c3 = k3.fma(FloatVector.broadcast(F, qs[q2 + d + 3]), c3);
            d0 = k0.fma(FloatVector.broadcast(F, qs[q3 + d]), d0);
            d1 = k1.fma(FloatVector.broadcast(F, qs[q3 + d + 1]), d1);
            d2 = k2.fma(FloatVector.broadcast(F, qs[q3 + d + 2]), d2);
            d3 = k3.fma(FloatVector.broadcast(F, qs[q3 + d + 3]), d3);
        }
        for (; d < headDim; d++) {
            FloatVector k0 = FloatVector.fromArray(F, keys, ko + d * LANES);
            a0 = k0.fma(FloatVector.broadcast(F, qs[q0 + d]), a0);
            b0 = k0.fma(FloatVector.broadcast(F, qs[q1 + d]), b0);
            c0 = k0.fma(FloatVector.broadcast(F, qs[q2 + d]), c0);
            d0 = k0.fma(FloatVector.broadcast(F, qs[q3 + d]), d0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(sv, 0);
        b0.add(b1).add(b2.add(b3)).intoArray(sv, LANES);
        c0.add(c1).add(c2.add(c3)).intoArray(sv, 2 * LANES);
        d0.add(d1).add(d2.add(d3)).intoArray(sv, 3 * LANES);
        // a query of the tile that does not see this block gets a row of zeros: adding 0 * value to its
        // accumulator leaves it as it is, as masked lanes always have
        for (int t = 0; t < TILE; t++) {
            update(sc, t, i0 + t, first + i0 + t, base, window, headDim);
        }
        // acc += sum_j p[j] * values[slot j] for the four queries, two chunks of the head dimension at a time
        int c = 0;
        for (; c + 2 * LANES <= headDim; c += 2 * LANES) {
            FloatVector e0 = FloatVector.fromArray(F, acc, q0 + c), f0 = FloatVector.fromArray(F, acc, q0 + c + LANES);
            FloatVector e1 = FloatVector.fromArray(F, acc, q1 + c), f1 = FloatVector.fromArray(F, acc, q1 + c + LANES);
            FloatVector e2 = FloatVector.fromArray(F, acc, q2 + c), f2 = FloatVector.fromArray(F, acc, q2 + c + LANES);
            FloatVector e3 = FloatVector.fromArray(F, acc, q3 + c), f3 = FloatVector.fromArray(F, acc, q3 + c + LANES);
            for (int j = 0; j < LANES; j++) {
                int vo = ko + j * headDim + c;
                FloatVector v0 = FloatVector.fromArray(F, values, vo);
                FloatVector v1 = FloatVector.fromArray(F, values, vo + LANES);
                FloatVector p = FloatVector.broadcast(F, pj[j]);
                e0 = v0.fma(p, e0); f0 = v1.fma(p, f0);
                p = FloatVector.broadcast(F, pj[LANES + j]);
                e1 = v0.fma(p, e1); f1 = v1.fma(p, f1);
                p = FloatVector.broadcast(F, pj[2 * LANES + j]);
                e2 = v0.fma(p, e2); f2 = v1.fma(p, f2);
                p = FloatVector.broadcast(F, pj[3 * LANES + j]);
                e3 = v0.fma(p, e3); f3 = v1.fma(p, f3);
            }
            e0.intoArray(acc, q0 + c); f0.intoArray(acc, q0 + c + LANES);
            e1.intoArray(acc, q1 + c); f1.intoArray(acc, q1 + c + LANES);
            e2.intoArray(acc, q2 + c); f2.intoArray(acc, q2 + c + LANES);
            e3.intoArray(acc, q3 + c); f3.intoArray(acc, q3 + c + LANES);
        }
        for (int t = 0; c < headDim && t < TILE; t++) {
            accumulate(sc, t, (i0 + t) * headDim, ko, c, values, headDim);
        }
    }

    /** Query {@code i} (position {@code p}) of the unit against the key block at {@code base} (slot offset {@code ko}). */
    private static void block1(Scratch sc, int i, int p, int base, int ko, int window, float[] keys, float[] values, int headDim) {
        int qo = i * headDim;
        scores(sc.q, qo, keys, ko, headDim, sc.s, 0);
        update(sc, 0, i, p, base, window, headDim);
        accumulate(sc, 0, qo, ko, 0, values, headDim);
    }

    /**
     * The online-softmax step of query {@code i} (position {@code p}) for the key block at
     * {@code base}, whose scores are row {@code t} of {@code sc.s}: masks them, rescales the query's
     * sum and accumulator when its max grows, and leaves {@code exp(score - max)} in row {@code t} of
     * {@code sc.p} (zeros where masked, or everywhere when the query does not see the block).
     */
    private static void update(Scratch sc, int t, int i, int p, int base, int window, int headDim) {
        float[] pj = sc.p;
        int row = t * LANES;
        int lo = window > 0 ? Math.max(0, p - window + 1) : 0;
        if (base > p || base + LANES - 1 < lo) {
            java.util.Arrays.fill(pj, row, row + LANES, 0f);
            return;
        }
        float[] sums = sc.sums;
        float[] acc = sc.acc;
        FloatVector iota = FloatVector.fromArray(F, IOTA, 0);
        // always masked: a mask that is null on interior blocks would be boxed
        VectorMask<Float> outside = iota.compare(VectorOperators.LT, lo - base).or(iota.compare(VectorOperators.GT, p - base));
        FloatVector s = FloatVector.fromArray(F, sc.s, row).blend(Float.NEGATIVE_INFINITY, outside);
        float bm = s.reduceLanes(VectorOperators.MAX);
        float m = sc.max[i];
        if (bm > m) {
            if (m != Float.NEGATIVE_INFINITY) {
                float alpha = (float) StrictMath.exp((double) m - bm);
                FloatVector.fromArray(F, sums, i * LANES).mul(alpha).intoArray(sums, i * LANES);
                int qo = i * headDim;
                int c = 0;
                for (; c + LANES <= headDim; c += LANES) {
                    FloatVector.fromArray(F, acc, qo + c).mul(alpha).intoArray(acc, qo + c);
                }
                for (; c < headDim; c++) {
                    acc[qo + c] *= alpha;
                }
            }
            m = bm;
            sc.max[i] = m;
        }
        // exp(s - m), the operations of VectorExp.exp written out (a vector returned from a call is boxed)
        FloatVector x = s.sub(m).max(-87.3f);
        FloatVector tt = x.fma(VectorExp.LOG2E, VectorExp.SHIFTER);
        FloatVector n = tt.sub(VectorExp.SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -VectorExp.LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -VectorExp.LN2_LO), r);
        FloatVector y = r.fma(VectorExp.E0, VectorExp.E1);
        y = y.fma(r, FloatVector.broadcast(F, VectorExp.E2));
        y = y.fma(r, FloatVector.broadcast(F, VectorExp.E3));
        y = y.fma(r, FloatVector.broadcast(F, VectorExp.E4));
        y = y.fma(r, FloatVector.broadcast(F, VectorExp.E5));
        y = y.fma(r.mul(r), r).add(1f);
        FloatVector scaleN = tt.reinterpretAsInts().sub(VectorExp.SHIFTER_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(scaleN).blend(0f, outside);
        e.add(FloatVector.fromArray(F, sums, i * LANES)).intoArray(sums, i * LANES);
        e.intoArray(pj, row);
    }

    /**
     * {@code acc[qo + c..] += sum_j p[j] * values[slot j]} with p row {@code t} of {@code sc.p}, for the
     * head dimension from {@code from} on: four chunks at a time (independent chains), then one, then scalars.
     */
    private static void accumulate(Scratch sc, int t, int qo, int ko, int from, float[] values, int headDim) {
        float[] acc = sc.acc;
        float[] pj = sc.p;
        int row = t * LANES;
        int c = from;
        for (; c + 4 * LANES <= headDim; c += 4 * LANES) {
            FloatVector e0 = FloatVector.fromArray(F, acc, qo + c);
            FloatVector e1 = FloatVector.fromArray(F, acc, qo + c + LANES);
            FloatVector e2 = FloatVector.fromArray(F, acc, qo + c + 2 * LANES);
            FloatVector e3 = FloatVector.fromArray(F, acc, qo + c + 3 * LANES);
            for (int j = 0; j < LANES; j++) {
                int vo = ko + j * headDim + c;
                FloatVector p = FloatVector.broadcast(F, pj[row + j]);
                e0 = FloatVector.fromArray(F, values, vo).fma(p, e0);
                e1 = FloatVector.fromArray(F, values, vo + LANES).fma(p, e1);
                e2 = FloatVector.fromArray(F, values, vo + 2 * LANES).fma(p, e2);
                e3 = FloatVector.fromArray(F, values, vo + 3 * LANES).fma(p, e3);
            }
            e0.intoArray(acc, qo + c);
            e1.intoArray(acc, qo + c + LANES);
            e2.intoArray(acc, qo + c + 2 * LANES);
            e3.intoArray(acc, qo + c + 3 * LANES);
        }
        for (; c + LANES <= headDim; c += LANES) {
            FloatVector e = FloatVector.fromArray(F, acc, qo + c);
            for (int j = 0; j < LANES; j++) {
                e = FloatVector.fromArray(F, values, ko + j * headDim + c).fma(FloatVector.broadcast(F, pj[row + j]), e);
            }
            e.intoArray(acc, qo + c);
        }
        for (; c < headDim; c++) {
            float a = acc[qo + c];
            for (int j = 0; j < LANES; j++) {
                a = Math.fma(values[ko + j * headDim + c], pj[row + j], a);
            }
            acc[qo + c] = a;
        }
    }

    /**
     * Scores of one query against the LANES keys of a block, into {@code out[off..off + LANES)}: four
     * chains over d (d mod 4), summed (0 + 1) + (2 + 3), the order block4 keeps inline for its four
     * queries. Written to an array, not returned: a vector returned from a call C2 does not inline is boxed.
     */
    private static void scores(float[] qs, int qo, float[] keys, int ko, int headDim, float[] out, int off) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int d = 0;
        for (; d + 4 <= headDim; d += 4) {
            int k = ko + d * LANES;
            a0 = FloatVector.fromArray(F, keys, k).fma(FloatVector.broadcast(F, qs[qo + d]), a0);
            a1 = FloatVector.fromArray(F, keys, k + LANES).fma(FloatVector.broadcast(F, qs[qo + d + 1]), a1);
            a2 = FloatVector.fromArray(F, keys, k + 2 * LANES).fma(FloatVector.broadcast(F, qs[qo + d + 2]), a2);
            a3 = FloatVector.fromArray(F, keys, k + 3 * LANES).fma(FloatVector.broadcast(F, qs[qo + d + 3]), a3);
        }
        for (; d < headDim; d++) {
            a0 = FloatVector.fromArray(F, keys, ko + d * LANES).fma(FloatVector.broadcast(F, qs[qo + d]), a0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(out, off);
    }

    /** The second pass for output_attentions: the same scores, normalised with the final max and sum. */
    private static void probabilities(float[] qs, int qo, int p, int window, float[] keys, int ring, int headDim,
                                      float max, float inv, float[] probs, int row, float[] scratch) {
        FloatVector iota = FloatVector.fromArray(F, IOTA, 0);
        int lo = window > 0 ? Math.max(0, p - window + 1) : 0;
        for (int b = lo >> SHIFT; b <= p >> SHIFT; b++) {
            int base = b << SHIFT;
            int slot = ring == 0 || base < ring ? base : base % ring;
            scores(qs, qo, keys, slot * headDim, headDim, scratch, 0);
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, scratch, 0).sub(max)).mul(inv);
            if (base < lo || base + LANES - 1 > p) {
                VectorMask<Float> inside = iota.compare(VectorOperators.GE, lo - base).and(iota.compare(VectorOperators.LE, p - base));
                e.intoArray(probs, row + base, inside);
            } else {
                e.intoArray(probs, row + base);
            }
        }
    }
}
