package dev.veloxquant.cache.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
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
     * Scores of {@code nq} queries against the first {@code tokens} keys of consecutive whole groups of
     * {@code groupSize} tokens stored from {@code codesOff} in {@link TokenBlockCodes} layout (group g at
     * {@code codesOff + g * TokenBlockCodes.bytes(groupSize, headDim, bits)}); group g's {@code headDim}
     * per-channel fp16 scales and zeros are at {@code sOff + g * headDim}.
     */
    public static void keyScores(byte[] codes, int codesOff, int headDim, int bits, int groupSize, int tokens,
                                 short[] scale, short[] zero, int sOff, float[] q, int qOff, int nq,
                                 float[] out, int outOff, int outStride) {
        int tb = TokenBlockCodes.subBlock(groupSize);
        if (!Simd.narrowEnabled() || tb % Simd.L != 0 || headDim % Simd.L != 0) {
            keyScoresScalar(codes, codesOff, headDim, bits, groupSize, tokens, scale, zero, sOff, q, qOff, nq, out, outOff, outStride);
            return;
        }
        int groupBytes = TokenBlockCodes.bytes(groupSize, headDim, bits);
        float[] qs = new float[nq * headDim];
        float[] qz = new float[nq];
        float[] sf = new float[headDim];
        float[] zf = new float[headDim];
        for (int t0 = 0; t0 < tokens; t0 += groupSize) {
            int n = Math.min(groupSize, tokens - t0);
            int so = sOff + (t0 / groupSize) * headDim;
            for (int d = 0; d < headDim; d++) {
                sf[d] = Float.float16ToFloat(scale[so + d]);
                zf[d] = Float.float16ToFloat(zero[so + d]);
            }
            for (int qi = 0; qi < nq; qi++) {
                FloatVector z = FloatVector.zero(Simd.F);
                for (int d = 0; d < headDim; d += Simd.L) {
                    FloatVector qv = FloatVector.fromArray(Simd.F, q, qOff + qi * headDim + d);
                    qv.mul(FloatVector.fromArray(Simd.F, sf, d)).intoArray(qs, qi * headDim + d);
                    z = qv.fma(FloatVector.fromArray(Simd.F, zf, d), z);
                }
                qz[qi] = Lanes.sum(z);
            }
            foldedGroupScores(codes, codesOff + (t0 / groupSize) * groupBytes, tb, headDim, bits, n, qs, qz, nq,
                    out, outOff + t0, outStride);
        }
    }

    /** Reference: dequantize each element and take the plain dot product. */
    public static void keyScoresScalar(byte[] codes, int codesOff, int headDim, int bits, int groupSize, int tokens,
                                       short[] scale, short[] zero, int sOff, float[] q, int qOff, int nq,
                                       float[] out, int outOff, int outStride) {
        int tb = TokenBlockCodes.subBlock(groupSize);
        int groupBytes = TokenBlockCodes.bytes(groupSize, headDim, bits);
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < tokens; t++) {
                int g = t / groupSize;
                int so = sOff + g * headDim;
                float s = 0f;
                for (int d = 0; d < headDim; d++) {
                    int c = TokenBlockCodes.get(codes, codesOff + g * groupBytes, tb, headDim, bits, t % groupSize, d);
                    float k = Float.float16ToFloat(scale[so + d]) * c + Float.float16ToFloat(zero[so + d]);
                    s += q[qOff + qi * headDim + d] * k;
                }
                out[outOff + qi * outStride + t] = s;
            }
        }
    }

    /**
     * One group: L tokens at a time (lanes are tokens, L divides the sub-block tb); each channel adds
     * (q⊙s)_d * codes_d.
     */
    private static void foldedGroupScores(byte[] codes, int groupOff, int tb, int headDim, int bits, int tokens,
                                          float[] qs, float[] qz, int nq, float[] out, int outOff, int outStride) {
        final int lanes = Simd.L;
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        final int chunks = headDim / per;
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int q0 = qb * headDim;
            int q1 = q0 + headDim;
            int q2 = q1 + headDim;
            int q3 = q2 + headDim;
            for (int t0 = 0; t0 < tokens; t0 += lanes) {
                int bo = groupOff + (t0 / tb) * chunks * tb + t0 % tb;
                FloatVector a0 = FloatVector.broadcast(Simd.F, qz[qb]);
                FloatVector a1 = m > 1 ? FloatVector.broadcast(Simd.F, qz[qb + 1]) : a0;
                FloatVector a2 = m > 2 ? FloatVector.broadcast(Simd.F, qz[qb + 2]) : a0;
                FloatVector a3 = m > 3 ? FloatVector.broadcast(Simd.F, qz[qb + 3]) : a0;
                for (int c = 0; c < chunks; c++) {
                    IntVector raw = ((IntVector) ByteVector.fromArray(Simd.B, codes, bo + c * tb).convertShape(VectorOperators.B2I, Simd.I, 0));
                    for (int k = 0; k < per; k++) {
                        FloatVector cv = (k == 0 && bits == 8 ? raw.and(mask) : raw.lanewise(VectorOperators.LSHR, k * bits).and(mask))
                                .convert(VectorOperators.I2F, 0).reinterpretAsFloats();
                        int d = c * per + k;
                        a0 = cv.fma(FloatVector.broadcast(Simd.F, qs[q0 + d]), a0);
                        if (m > 1) {
                            a1 = cv.fma(FloatVector.broadcast(Simd.F, qs[q1 + d]), a1);
                            if (m > 2) {
                                a2 = cv.fma(FloatVector.broadcast(Simd.F, qs[q2 + d]), a2);
                                if (m > 3) {
                                    a3 = cv.fma(FloatVector.broadcast(Simd.F, qs[q3 + d]), a3);
                                }
                            }
                        }
                    }
                }
                int o = outOff + qb * outStride + t0;
                int n = Math.min(lanes, tokens - t0);
                if (n == lanes) {
                    a0.intoArray(out, o);
                    if (m > 1) {
                        a1.intoArray(out, o + outStride);
                        if (m > 2) {
                            a2.intoArray(out, o + 2 * outStride);
                            if (m > 3) {
                                a3.intoArray(out, o + 3 * outStride);
                            }
                        }
                    }
                } else {
                    VectorMask<Float> part = Simd.F.indexInRange(0, n);
                    a0.intoArray(out, o, part);
                    if (m > 1) {
                        a1.intoArray(out, o + outStride, part);
                        if (m > 2) {
                            a2.intoArray(out, o + 2 * outStride, part);
                            if (m > 3) {
                                a3.intoArray(out, o + 3 * outStride, part);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Adds {@code sum_t w[qi][t] * v_t} into {@code acc[accOff + qi*headDim ..]} for {@code tokens} value
     * rows (packed by {@link PackedCodes}) with one (scale, zero) per token and channel group of
     * {@code cg}: channel group g's fp16 scale of token t at {@code scale[g][tOff + t]}.
     */
    public static void valueAccumulate(byte[] codes, int rowOff, int headDim, int bits, int cg,
                                       short[][] scale, short[][] zero, int tOff, int tokens,
                                       float[] w, int wOff, int wStride, int nq, float[] acc, int accOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        if (!Simd.narrowEnabled() || !PackedCodes.isPlanar(bits) || rb % Simd.L != 0 || cg % Simd.L != 0) {
            valueAccumulateScalar(codes, rowOff, headDim, bits, cg, scale, zero, tOff, tokens, w, wOff, wStride, nq, acc, accOff);
            return;
        }
        final int groups = headDim / cg;
        final int lanes = Simd.L;
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        // per block of tokens: w_t * s_tg for each query and group; the zero terms sum to one number per group
        float[] ws = new float[4 * groups * BLOCK];
        float[] zsum = new float[nq * groups];
        float[] sf = new float[BLOCK];
        float[] zf = new float[BLOCK];
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int ab = accOff + qb * headDim;
            for (int tb = 0; tb < tokens; tb += BLOCK) {
                int n = Math.min(BLOCK, tokens - tb);
                int full = n - n % lanes;
                for (int g = 0; g < groups; g++) {
                    short[] sg = scale[g];
                    short[] zg = zero[g];
                    for (int t = 0; t < n; t++) {
                        sf[t] = Float.float16ToFloat(sg[tOff + tb + t]);
                        zf[t] = Float.float16ToFloat(zg[tOff + tb + t]);
                    }
                    for (int i = 0; i < m; i++) {
                        int wb = wOff + (qb + i) * wStride + tb;
                        int dst = (i * groups + g) * BLOCK;
                        FloatVector zacc = FloatVector.zero(Simd.F);
                        for (int t = 0; t < full; t += lanes) {
                            FloatVector wv = FloatVector.fromArray(Simd.F, w, wb + t);
                            wv.mul(FloatVector.fromArray(Simd.F, sf, t)).intoArray(ws, dst + t);
                            zacc = wv.fma(FloatVector.fromArray(Simd.F, zf, t), zacc);
                        }
                        float z = Lanes.sum(zacc);
                        for (int t = full; t < n; t++) {
                            ws[dst + t] = w[wb + t] * sf[t];
                            z += w[wb + t] * zf[t];
                        }
                        zsum[(qb + i) * groups + g] += z;
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
                            FloatVector c = ((IntVector) ByteVector.fromArray(Simd.B, codes, ro).convertShape(VectorOperators.B2I, Simd.I, 0)).lanewise(VectorOperators.LSHR, k * bits).and(mask)
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
                                             short[][] scale, short[][] zero, int tOff, int tokens,
                                             float[] w, int wOff, int wStride, int nq, float[] acc, int accOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < tokens; t++) {
                float wt = w[wOff + qi * wStride + t];
                for (int d = 0; d < headDim; d++) {
                    int g = d / cg;
                    int c = PackedCodes.get(codes, rowOff + t * rb, headDim, bits, d);
                    float v = Float.float16ToFloat(scale[g][tOff + t]) * c + Float.float16ToFloat(zero[g][tOff + t]);
                    acc[accOff + qi * headDim + d] += wt * v;
                }
            }
        }
    }

    static final int BLOCK = 128;
}
