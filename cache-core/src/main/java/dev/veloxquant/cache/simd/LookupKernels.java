package dev.veloxquant.cache.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Score and value passes over per-coordinate residual codes (TurboQuant): a vector's element i is
 * {@code alpha * sum_s table[s][c_s,i]}, one fp16 alpha per token, tables with a stride of 16 per
 * stage. Keys are in 16-token blocks ({@link StageBlockCodes}) so scores come 16 tokens per vector;
 * values are token rows of {@code stages} packed rows ({@link PackedCodes}). The fast paths look
 * levels up in registers (a stage's table is one vector; a lane permute picks the levels), so no
 * element is ever decoded to memory.
 */
public final class LookupKernels {
    private LookupKernels() {
    }

    public static final int TABLE_STRIDE = 16;

    private static boolean planarFast(int dim, int bits) {
        int rb = PackedCodes.rowBytes(dim, bits);
        return Simd.NARROW_OK && PackedCodes.isPlanar(bits) && rb % Simd.L == 0 && (1 << bits) <= Simd.L && dim % Simd.L == 0;
    }

    static void decodeRow(byte[] codes, int off, int stages, int bits, int dim, float[] tables, float a, float[] row) {
        int rb = PackedCodes.rowBytes(dim, bits);
        for (int i = 0; i < dim; i++) {
            float v = 0;
            for (int s = 0; s < stages; s++) {
                v += tables[s * TABLE_STRIDE + PackedCodes.get(codes, off + s * rb, dim, bits, i)];
            }
            row[i] = a * v;
        }
    }



    /** Adds {@code sum_t w[qi][t] * alpha_t * decoded_t} into {@code acc[accOff + qi*dim ..]}. */
    public static void accumulate(byte[] codes, int rowOff, int stages, int bits, int dim, float[] tables,
                                  short[] alpha, int aOff, int tokens, float[] w, int wOff, int wStride, int nq,
                                  float[] acc, int accOff) {
        if (!Simd.enabled() || !planarFast(dim, bits)) {
            accumulateScalar(codes, rowOff, stages, bits, dim, tables, alpha, aOff, tokens, w, wOff, wStride, nq, acc, accOff);
            return;
        }
        final int lanes = Simd.L;
        final int rb = PackedCodes.rowBytes(dim, bits);
        final int stride = stages * rb;
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        final int block = 128;
        IntVector t0 = FloatVector.fromArray(Simd.F, tables, 0 * TABLE_STRIDE).reinterpretAsInts();
        IntVector t1 = stages > 1 ? FloatVector.fromArray(Simd.F, tables, 1 * TABLE_STRIDE).reinterpretAsInts() : t0;
        IntVector t2 = stages > 2 ? FloatVector.fromArray(Simd.F, tables, 2 * TABLE_STRIDE).reinterpretAsInts() : t0;
        IntVector t3 = stages > 3 ? FloatVector.fromArray(Simd.F, tables, 3 * TABLE_STRIDE).reinterpretAsInts() : t0;
        float[] ws = new float[4 * block];
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int ab = accOff + qb * dim;
            for (int tb = 0; tb < tokens; tb += block) {
                int n = Math.min(block, tokens - tb);
                for (int t = 0; t < n; t++) {
                    float al = Float.float16ToFloat(alpha[aOff + tb + t]);
                    for (int i = 0; i < m; i++) {
                        ws[i * block + t] = al * w[wOff + (qb + i) * wStride + tb + t];
                    }
                }
                for (int j = 0; j < rb; j += lanes) {
                    for (int k = 0; k < per; k++) {
                        int sh = k * bits;
                        int d = k * rb + j;
                        FloatVector a0 = FloatVector.fromArray(Simd.F, acc, ab + d);
                        FloatVector a1 = m > 1 ? FloatVector.fromArray(Simd.F, acc, ab + dim + d) : a0;
                        FloatVector a2 = m > 2 ? FloatVector.fromArray(Simd.F, acc, ab + 2 * dim + d) : a0;
                        FloatVector a3 = m > 3 ? FloatVector.fromArray(Simd.F, acc, ab + 3 * dim + d) : a0;
                        int ro = rowOff + tb * stride + j;
                        for (int t = 0; t < n; t++, ro += stride) {
                            FloatVector v = ((IntVector) ByteVector.fromArray(Simd.B, codes, ro).convertShape(VectorOperators.B2I, Simd.I, 0)).lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t0).reinterpretAsFloats();
                            if (stages > 1) {
                                v = v.add(((IntVector) ByteVector.fromArray(Simd.B, codes, ro + rb).convertShape(VectorOperators.B2I, Simd.I, 0)).lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t1).reinterpretAsFloats());
                                if (stages > 2) {
                                    v = v.add(((IntVector) ByteVector.fromArray(Simd.B, codes, ro + 2 * rb).convertShape(VectorOperators.B2I, Simd.I, 0)).lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t2).reinterpretAsFloats());
                                    if (stages > 3) {
                                        v = v.add(((IntVector) ByteVector.fromArray(Simd.B, codes, ro + 3 * rb).convertShape(VectorOperators.B2I, Simd.I, 0)).lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t3).reinterpretAsFloats());
                                    }
                                }
                            }
                            a0 = v.fma(FloatVector.broadcast(Simd.F, ws[t]), a0);
                            if (m > 1) {
                                a1 = v.fma(FloatVector.broadcast(Simd.F, ws[block + t]), a1);
                                if (m > 2) {
                                    a2 = v.fma(FloatVector.broadcast(Simd.F, ws[2 * block + t]), a2);
                                    if (m > 3) {
                                        a3 = v.fma(FloatVector.broadcast(Simd.F, ws[3 * block + t]), a3);
                                    }
                                }
                            }
                        }
                        a0.intoArray(acc, ab + d);
                        if (m > 1) {
                            a1.intoArray(acc, ab + dim + d);
                            if (m > 2) {
                                a2.intoArray(acc, ab + 2 * dim + d);
                                if (m > 3) {
                                    a3.intoArray(acc, ab + 3 * dim + d);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Reference: decode each token, then accumulate. */
    public static void accumulateScalar(byte[] codes, int rowOff, int stages, int bits, int dim, float[] tables,
                                        short[] alpha, int aOff, int tokens, float[] w, int wOff, int wStride, int nq,
                                        float[] acc, int accOff) {
        int stride = stages * PackedCodes.rowBytes(dim, bits);
        float[] row = new float[dim];
        for (int t = 0; t < tokens; t++) {
            decodeRow(codes, rowOff + t * stride, stages, bits, dim, tables, Float.float16ToFloat(alpha[aOff + t]), row);
            for (int qi = 0; qi < nq; qi++) {
                float wt = w[wOff + qi * wStride + t];
                for (int i = 0; i < dim; i++) {
                    acc[accOff + qi * dim + i] += wt * row[i];
                }
            }
        }
    }

    /**
     * Scores over keys in {@link StageBlockCodes} layout from {@code base}: {@code out[outOff + qi*outStride + t]
     * = alpha_t * sum_i qr[qi][i] * sum_s table_s[c]} for the first {@code tokens} tokens.
     */
    public static void blockScores(byte[] codes, int base, int stages, int bits, int dim, float[] tables,
                                   short[] alpha, int tokens, float[] qr, int qOff, int nq,
                                   float[] out, int outOff, int outStride) {
        if (!Simd.narrowEnabled() || StageBlockCodes.BLOCK % Simd.L != 0 || (1 << bits) > Simd.L || !PackedCodes.isPlanar(bits)) {
            blockScoresScalar(codes, base, stages, bits, dim, tables, alpha, tokens, qr, qOff, nq, out, outOff, outStride);
            return;
        }
        final int lanes = Simd.L;
        final int blockBytes = StageBlockCodes.blockBytes(dim, bits, stages);
        final int per = 8 / bits;
        final int mask = (1 << bits) - 1;
        final int chunks = dim / per;
        IntVector t0 = FloatVector.fromArray(Simd.F, tables, 0 * TABLE_STRIDE).reinterpretAsInts();
        IntVector t1 = stages > 1 ? FloatVector.fromArray(Simd.F, tables, 1 * TABLE_STRIDE).reinterpretAsInts() : t0;
        IntVector t2 = stages > 2 ? FloatVector.fromArray(Simd.F, tables, 2 * TABLE_STRIDE).reinterpretAsInts() : t0;
        IntVector t3 = stages > 3 ? FloatVector.fromArray(Simd.F, tables, 3 * TABLE_STRIDE).reinterpretAsInts() : t0;
        int[] p0 = new int[stages];
        for (int s = 0; s < stages; s++) {
            p0[s] = StageBlockCodes.planeOffset(dim, bits, s, 0);
        }
        float[] alphaPart = new float[lanes];
        for (int tb = 0; tb < tokens; tb += lanes) {
            int bo = base + (tb / StageBlockCodes.BLOCK) * blockBytes + tb % StageBlockCodes.BLOCK;
            int n = Math.min(lanes, tokens - tb);
            FloatVector av;
            java.util.Arrays.fill(alphaPart, 0f);
            for (int i = 0; i < n; i++) {
                alphaPart[i] = Float.float16ToFloat(alpha[tb + i]);
            }
            av = FloatVector.fromArray(Simd.F, alphaPart, 0);
            for (int qb = 0; qb < nq; qb += 4) {
                int m = Math.min(4, nq - qb);
                int q0 = qOff + qb * dim;
                int q1 = q0 + dim;
                int q2 = q1 + dim;
                int q3 = q2 + dim;
                FloatVector a0 = FloatVector.zero(Simd.F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int c = 0; c < chunks; c++) {
                    int co = bo + c * StageBlockCodes.BLOCK;
                    IntVector r0 = ((IntVector) ByteVector.fromArray(Simd.B, codes, co + p0[0]).convertShape(VectorOperators.B2I, Simd.I, 0));
                    IntVector r1 = stages > 1 ? ((IntVector) ByteVector.fromArray(Simd.B, codes, co + p0[1]).convertShape(VectorOperators.B2I, Simd.I, 0)) : r0;
                    IntVector r2 = stages > 2 ? ((IntVector) ByteVector.fromArray(Simd.B, codes, co + p0[2]).convertShape(VectorOperators.B2I, Simd.I, 0)) : r0;
                    IntVector r3 = stages > 3 ? ((IntVector) ByteVector.fromArray(Simd.B, codes, co + p0[3]).convertShape(VectorOperators.B2I, Simd.I, 0)) : r0;
                    for (int k = 0; k < per; k++) {
                        int sh = k * bits;
                        FloatVector v = r0.lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t0).reinterpretAsFloats();
                        if (stages > 1) {
                            v = v.add(r1.lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t1).reinterpretAsFloats());
                            if (stages > 2) {
                                v = v.add(r2.lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t2).reinterpretAsFloats());
                                if (stages > 3) {
                                    v = v.add(r3.lanewise(VectorOperators.LSHR, sh).and(mask).selectFrom(t3).reinterpretAsFloats());
                                }
                            }
                        }
                        int d = c * per + k;
                        a0 = v.fma(FloatVector.broadcast(Simd.F, qr[q0 + d]), a0);
                        if (m > 1) {
                            a1 = v.fma(FloatVector.broadcast(Simd.F, qr[q1 + d]), a1);
                            if (m > 2) {
                                a2 = v.fma(FloatVector.broadcast(Simd.F, qr[q2 + d]), a2);
                                if (m > 3) {
                                    a3 = v.fma(FloatVector.broadcast(Simd.F, qr[q3 + d]), a3);
                                }
                            }
                        }
                    }
                }
                int o = outOff + qb * outStride + tb;
                VectorMask<Float> part = Simd.F.indexInRange(0, n);
                a0.mul(av).intoArray(out, o, part);
                if (m > 1) {
                    a1.mul(av).intoArray(out, o + outStride, part);
                    if (m > 2) {
                        a2.mul(av).intoArray(out, o + 2 * outStride, part);
                        if (m > 3) {
                            a3.mul(av).intoArray(out, o + 3 * outStride, part);
                        }
                    }
                }
            }
        }
    }

    /** Reference for {@link #blockScores}: decode each element, then the plain dot product. */
    public static void blockScoresScalar(byte[] codes, int base, int stages, int bits, int dim, float[] tables,
                                         short[] alpha, int tokens, float[] qr, int qOff, int nq,
                                         float[] out, int outOff, int outStride) {
        float[] row = new float[dim];
        for (int t = 0; t < tokens; t++) {
            float a = Float.float16ToFloat(alpha[t]);
            for (int i = 0; i < dim; i++) {
                float v = 0;
                for (int s = 0; s < stages; s++) {
                    v += tables[s * TABLE_STRIDE + StageBlockCodes.get(codes, base, dim, bits, stages, t, s, i)];
                }
                row[i] = a * v;
            }
            for (int qi = 0; qi < nq; qi++) {
                float sum = 0;
                for (int i = 0; i < dim; i++) {
                    sum += qr[qOff + qi * dim + i] * row[i];
                }
                out[outOff + qi * outStride + t] = sum;
            }
        }
    }
}
