package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Score and value passes over KIVI-style affine codes, x = s * c + z with fp16 s and z, rows packed
 * by {@link PackedCodes}.
 *
 * <p>Keys: one (s, z) per channel for a group of tokens, so q·k = (q⊙s)·c + q·z: the query is
 * scaled once per group and each token costs one dot product with its integer codes, dequantized in
 * registers. Values: one (s, z) per token and channel group, so sum_t w_t v_t = sum_t (w_t s_tg) c_t
 * + sum_t w_t z_tg per group.
 */
public final class UniformKernels {
    private UniformKernels() {
    }

    /**
     * Scores of {@code nq} queries against {@code tokens} key rows from {@code rowOff}; token i belongs to
     * group {@code i / groupSize}, whose {@code headDim} per-channel fp16 scales and zeros are at
     * {@code sOff + (i / groupSize) * headDim}.
     */
    public static void keyScores(byte[] codes, int rowOff, int headDim, int bits, int groupSize, int tokens,
                                 short[] scale, short[] zero, int sOff, float[] q, int qOff, int nq,
                                 float[] out, int outOff, int outStride) {
        if (!Simd.enabled() || headDim % Simd.L != 0) {
            keyScoresScalar(codes, rowOff, headDim, bits, groupSize, tokens, scale, zero, sOff, q, qOff, nq, out, outOff, outStride);
            return;
        }
        int rb = PackedCodes.rowBytes(headDim, bits);
        boolean planar = PackedCodes.isPlanar(bits) && rb % Simd.L == 0;
        float[] qs = new float[nq * headDim];
        float[] qz = new float[nq];
        int[] row = planar ? null : new int[headDim];
        for (int t0 = 0; t0 < tokens; t0 += groupSize) {
            int n = Math.min(groupSize, tokens - t0);
            int so = sOff + (t0 / groupSize) * headDim;
            for (int qi = 0; qi < nq; qi++) {
                float z = 0f;
                for (int d = 0; d < headDim; d++) {
                    float qd = q[qOff + qi * headDim + d];
                    qs[qi * headDim + d] = qd * Float.float16ToFloat(scale[so + d]);
                    z += qd * Float.float16ToFloat(zero[so + d]);
                }
                qz[qi] = z;
            }
            if (planar) {
                foldedScoresPlanar(codes, rowOff + t0 * rb, rb, headDim, bits, n, qs, qz, nq, out, outOff + t0, outStride);
            } else {
                foldedScoresUnpacked(codes, rowOff + t0 * rb, rb, headDim, bits, n, qs, qz, nq, out, outOff + t0, outStride, row);
            }
        }
    }

    /** Reference: dequantize each element and take the plain dot product. */
    public static void keyScoresScalar(byte[] codes, int rowOff, int headDim, int bits, int groupSize, int tokens,
                                       short[] scale, short[] zero, int sOff, float[] q, int qOff, int nq,
                                       float[] out, int outOff, int outStride) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < tokens; t++) {
                int so = sOff + (t / groupSize) * headDim;
                float s = 0f;
                for (int d = 0; d < headDim; d++) {
                    int c = PackedCodes.get(codes, rowOff + t * rb, headDim, bits, d);
                    float k = Float.float16ToFloat(scale[so + d]) * c + Float.float16ToFloat(zero[so + d]);
                    s += q[qOff + qi * headDim + d] * k;
                }
                out[outOff + qi * outStride + t] = s;
            }
        }
    }

    private static void foldedScoresPlanar(byte[] codes, int rowOff, int rb, int headDim, int bits, int tokens,
                                           float[] qs, float[] qz, int nq, float[] out, int outOff, int outStride) {
        final int lanes = Simd.L;
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int q0 = qb * headDim;
            int q1 = q0 + headDim;
            int q2 = q1 + headDim;
            int q3 = q2 + headDim;
            int o = outOff + qb * outStride;
            for (int t = 0; t < tokens; t++) {
                int ro = rowOff + t * rb;
                FloatVector a0 = FloatVector.zero(Simd.F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int j = 0; j < rb; j += lanes) {
                    IntVector raw = Simd.loadBytesAsInts(codes, ro + j);
                    for (int k = 0; k < per; k++) {
                        FloatVector c = raw.lanewise(VectorOperators.LSHR, k * bits).and(mask)
                                .convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                        int d = k * rb + j;
                        a0 = c.fma(FloatVector.fromArray(Simd.F, qs, q0 + d), a0);
                        if (m > 1) {
                            a1 = c.fma(FloatVector.fromArray(Simd.F, qs, q1 + d), a1);
                            if (m > 2) {
                                a2 = c.fma(FloatVector.fromArray(Simd.F, qs, q2 + d), a2);
                                if (m > 3) {
                                    a3 = c.fma(FloatVector.fromArray(Simd.F, qs, q3 + d), a3);
                                }
                            }
                        }
                    }
                }
                out[o + t] = a0.reduceLanes(VectorOperators.ADD) + qz[qb];
                if (m > 1) {
                    out[o + outStride + t] = a1.reduceLanes(VectorOperators.ADD) + qz[qb + 1];
                    if (m > 2) {
                        out[o + 2 * outStride + t] = a2.reduceLanes(VectorOperators.ADD) + qz[qb + 2];
                        if (m > 3) {
                            out[o + 3 * outStride + t] = a3.reduceLanes(VectorOperators.ADD) + qz[qb + 3];
                        }
                    }
                }
            }
        }
    }

    /** Layouts the planar loads cannot take (3-bit, short rows): unpack each row, then vector dots. */
    private static void foldedScoresUnpacked(byte[] codes, int rowOff, int rb, int headDim, int bits, int tokens,
                                             float[] qs, float[] qz, int nq, float[] out, int outOff, int outStride, int[] row) {
        for (int t = 0; t < tokens; t++) {
            PackedCodes.unpack(codes, rowOff + t * rb, headDim, bits, row, 0);
            for (int qi = 0; qi < nq; qi++) {
                FloatVector a = FloatVector.zero(Simd.F);
                for (int d = 0; d < headDim; d += Simd.L) {
                    FloatVector c = IntVector.fromArray(Simd.I, row, d).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                    a = c.fma(FloatVector.fromArray(Simd.F, qs, qi * headDim + d), a);
                }
                out[outOff + qi * outStride + t] = a.reduceLanes(VectorOperators.ADD) + qz[qi];
            }
        }
    }

    /**
     * Adds {@code sum_t w[qi][t] * v_t} into {@code acc[accOff + qi*headDim ..]} for {@code tokens} value
     * rows with one (scale, zero) per token and channel group of {@code cg}: {@code headDim / cg} fp16
     * each per token, token t's at {@code sOff + t * headDim / cg}.
     */
    public static void valueAccumulate(byte[] codes, int rowOff, int headDim, int bits, int cg,
                                       short[] scale, short[] zero, int sOff, int tokens,
                                       float[] w, int wOff, int wStride, int nq, float[] acc, int accOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        if (!Simd.enabled() || !PackedCodes.isPlanar(bits) || rb % Simd.L != 0 || cg % Simd.L != 0) {
            valueAccumulateScalar(codes, rowOff, headDim, bits, cg, scale, zero, sOff, tokens, w, wOff, wStride, nq, acc, accOff);
            return;
        }
        int groups = headDim / cg;
        // zero terms and the per-(token, group) scaled weights, computed once per block of tokens
        float[] zsum = new float[nq * groups];
        float[] ws = new float[4 * BLOCK * groups];
        final int lanes = Simd.L;
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int ab = accOff + qb * headDim;
            for (int tb = 0; tb < tokens; tb += BLOCK) {
                int n = Math.min(BLOCK, tokens - tb);
                for (int t = 0; t < n; t++) {
                    int so = sOff + (tb + t) * groups;
                    for (int g = 0; g < groups; g++) {
                        float s = Float.float16ToFloat(scale[so + g]);
                        float z = Float.float16ToFloat(zero[so + g]);
                        for (int i = 0; i < m; i++) {
                            float wt = w[wOff + (qb + i) * wStride + tb + t];
                            ws[(i * groups + g) * BLOCK + t] = wt * s;
                            zsum[(qb + i) * groups + g] += wt * z;
                        }
                    }
                }
                for (int j = 0; j < rb; j += lanes) {
                    for (int k = 0; k < per; k++) {
                        int d = k * rb + j;
                        int g = d / cg;
                        int w0 = g * BLOCK;
                        int w1 = (groups + g) * BLOCK;
                        int w2 = (2 * groups + g) * BLOCK;
                        int w3 = (3 * groups + g) * BLOCK;
                        FloatVector a0 = FloatVector.fromArray(Simd.F, acc, ab + d);
                        FloatVector a1 = m > 1 ? FloatVector.fromArray(Simd.F, acc, ab + headDim + d) : a0;
                        FloatVector a2 = m > 2 ? FloatVector.fromArray(Simd.F, acc, ab + 2 * headDim + d) : a0;
                        FloatVector a3 = m > 3 ? FloatVector.fromArray(Simd.F, acc, ab + 3 * headDim + d) : a0;
                        int ro = rowOff + tb * rb + j;
                        for (int t = 0; t < n; t++, ro += rb) {
                            FloatVector c = Simd.loadBytesAsInts(codes, ro).lanewise(VectorOperators.LSHR, k * bits).and(mask)
                                    .convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                            a0 = c.fma(FloatVector.broadcast(Simd.F, ws[w0 + t]), a0);
                            if (m > 1) {
                                a1 = c.fma(FloatVector.broadcast(Simd.F, ws[w1 + t]), a1);
                                if (m > 2) {
                                    a2 = c.fma(FloatVector.broadcast(Simd.F, ws[w2 + t]), a2);
                                    if (m > 3) {
                                        a3 = c.fma(FloatVector.broadcast(Simd.F, ws[w3 + t]), a3);
                                    }
                                }
                            }
                        }
                        a0.intoArray(acc, ab + d);
                        if (m > 1) {
                            a1.intoArray(acc, ab + headDim + d);
                            if (m > 2) {
                                a2.intoArray(acc, ab + 2 * headDim + d);
                                if (m > 3) {
                                    a3.intoArray(acc, ab + 3 * headDim + d);
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int qi = 0; qi < nq; qi++) {
            for (int d = 0; d < headDim; d++) {
                acc[accOff + qi * headDim + d] += zsum[qi * groups + d / cg];
            }
        }
    }

    /** Reference: dequantize each element and accumulate. */
    public static void valueAccumulateScalar(byte[] codes, int rowOff, int headDim, int bits, int cg,
                                             short[] scale, short[] zero, int sOff, int tokens,
                                             float[] w, int wOff, int wStride, int nq, float[] acc, int accOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        int groups = headDim / cg;
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < tokens; t++) {
                float wt = w[wOff + qi * wStride + t];
                for (int d = 0; d < headDim; d++) {
                    int g = d / cg;
                    int c = PackedCodes.get(codes, rowOff + t * rb, headDim, bits, d);
                    float v = Float.float16ToFloat(scale[sOff + t * groups + g]) * c + Float.float16ToFloat(zero[sOff + t * groups + g]);
                    acc[accOff + qi * headDim + d] += wt * v;
                }
            }
        }
    }

    static final int BLOCK = 128;
}
