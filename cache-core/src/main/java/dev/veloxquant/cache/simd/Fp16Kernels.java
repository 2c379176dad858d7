package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Score and value passes over rows of IEEE half floats (one row of {@code headDim} per token). The
 * GQA group's queries share one pass over the rows: each row is converted once and multiplied into
 * up to four query accumulators.
 */
public final class Fp16Kernels {
    private Fp16Kernels() {
    }

    /**
     * {@code out[outOff + qi*outStride + t] = q_qi · k_t} for {@code tokens} rows starting at {@code kOff}.
     */
    public static void scores(short[] k, int kOff, int tokens, int headDim, float[] q, int qOff, int nq,
                              float[] out, int outOff, int outStride) {
        if (Simd.narrowEnabled() && headDim % Simd.L == 0) {
            scoresVector(k, kOff, tokens, headDim, q, qOff, nq, out, outOff, outStride);
        } else {
            scoresScalar(k, kOff, tokens, headDim, q, qOff, nq, out, outOff, outStride);
        }
    }

    public static void scoresScalar(short[] k, int kOff, int tokens, int headDim, float[] q, int qOff, int nq,
                                    float[] out, int outOff, int outStride) {
        for (int qi = 0; qi < nq; qi++) {
            int qb = qOff + qi * headDim;
            for (int t = 0; t < tokens; t++) {
                int kb = kOff + t * headDim;
                float s = 0f;
                for (int d = 0; d < headDim; d++) {
                    s += q[qb + d] * Float.float16ToFloat(k[kb + d]);
                }
                out[outOff + qi * outStride + t] = s;
            }
        }
    }

    static void scoresVector(short[] k, int kOff, int tokens, int headDim, float[] q, int qOff, int nq,
                             float[] out, int outOff, int outStride) {
        final int lanes = Simd.L;
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int q0 = qOff + qb * headDim;
            int q1 = q0 + headDim;
            int q2 = q1 + headDim;
            int q3 = q2 + headDim;
            int o = outOff + qb * outStride;
            for (int t = 0; t < tokens; t++) {
                int kb = kOff + t * headDim;
                FloatVector a0 = FloatVector.zero(Simd.F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int d = 0; d < headDim; d += lanes) {
                    // half to float, inline: C2 may refuse to inline a compiled helper and would box the vector
                    IntVector kvh = (IntVector) ShortVector.fromArray(Simd.S, k, kb + d).convertShape(VectorOperators.S2I, Simd.I, 0);
                    IntVector kve = kvh.and(0x7FFF);
                    FloatVector kv = kve.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                            .or(kvh.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                            .lanewise(VectorOperators.OR, 0x7F800000, kve.compare(VectorOperators.GE, 0x7C00)).reinterpretAsFloats();
                    a0 = kv.fma(FloatVector.fromArray(Simd.F, q, q0 + d), a0);
                    if (m > 1) {
                        a1 = kv.fma(FloatVector.fromArray(Simd.F, q, q1 + d), a1);
                        if (m > 2) {
                            a2 = kv.fma(FloatVector.fromArray(Simd.F, q, q2 + d), a2);
                            if (m > 3) {
                                a3 = kv.fma(FloatVector.fromArray(Simd.F, q, q3 + d), a3);
                            }
                        }
                    }
                }
                out[o + t] = Lanes.sum(a0);
                if (m > 1) {
                    out[o + outStride + t] = Lanes.sum(a1);
                    if (m > 2) {
                        out[o + 2 * outStride + t] = Lanes.sum(a2);
                        if (m > 3) {
                            out[o + 3 * outStride + t] = Lanes.sum(a3);
                        }
                    }
                }
            }
        }
    }

    /**
     * Adds {@code sum_t w[wOff + qi*wStride + t] * v_t} into {@code acc[accOff + qi*headDim ..]} for
     * {@code tokens} rows starting at {@code vOff}.
     */
    public static void accumulate(short[] v, int vOff, int tokens, int headDim, float[] w, int wOff, int wStride,
                                  int nq, float[] acc, int accOff) {
        if (Simd.narrowEnabled() && headDim % Simd.L == 0) {
            accumulateVector(v, vOff, tokens, headDim, w, wOff, wStride, nq, acc, accOff);
        } else {
            accumulateScalar(v, vOff, tokens, headDim, w, wOff, wStride, nq, acc, accOff);
        }
    }

    public static void accumulateScalar(short[] v, int vOff, int tokens, int headDim, float[] w, int wOff, int wStride,
                                        int nq, float[] acc, int accOff) {
        for (int qi = 0; qi < nq; qi++) {
            int ab = accOff + qi * headDim;
            for (int t = 0; t < tokens; t++) {
                float wt = w[wOff + qi * wStride + t];
                int vb = vOff + t * headDim;
                for (int d = 0; d < headDim; d++) {
                    acc[ab + d] += wt * Float.float16ToFloat(v[vb + d]);
                }
            }
        }
    }

    /** Token blocks keep the accumulators of one column chunk in registers across the block. */
    static void accumulateVector(short[] v, int vOff, int tokens, int headDim, float[] w, int wOff, int wStride,
                                 int nq, float[] acc, int accOff) {
        final int lanes = Simd.L;
        for (int qb = 0; qb < nq; qb += 4) {
            int m = Math.min(4, nq - qb);
            int w0 = wOff + qb * wStride;
            int ab = accOff + qb * headDim;
            for (int tb = 0; tb < tokens; tb += BLOCK) {
            int tEnd = Math.min(tokens, tb + BLOCK);
            for (int d = 0; d < headDim; d += lanes) {
                FloatVector a0 = FloatVector.fromArray(Simd.F, acc, ab + d);
                FloatVector a1 = m > 1 ? FloatVector.fromArray(Simd.F, acc, ab + headDim + d) : a0;
                FloatVector a2 = m > 2 ? FloatVector.fromArray(Simd.F, acc, ab + 2 * headDim + d) : a0;
                FloatVector a3 = m > 3 ? FloatVector.fromArray(Simd.F, acc, ab + 3 * headDim + d) : a0;
                for (int t = tb; t < tEnd; t++) {
                    // half to float, inline: C2 may refuse to inline a compiled helper and would box the vector
                    IntVector vvh = (IntVector) ShortVector.fromArray(Simd.S, v, vOff + t * headDim + d).convertShape(VectorOperators.S2I, Simd.I, 0);
                    IntVector vve = vvh.and(0x7FFF);
                    FloatVector vv = vve.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                            .or(vvh.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                            .lanewise(VectorOperators.OR, 0x7F800000, vve.compare(VectorOperators.GE, 0x7C00)).reinterpretAsFloats();
                    a0 = vv.fma(FloatVector.broadcast(Simd.F, w[w0 + t]), a0);
                    if (m > 1) {
                        a1 = vv.fma(FloatVector.broadcast(Simd.F, w[w0 + wStride + t]), a1);
                        if (m > 2) {
                            a2 = vv.fma(FloatVector.broadcast(Simd.F, w[w0 + 2 * wStride + t]), a2);
                            if (m > 3) {
                                a3 = vv.fma(FloatVector.broadcast(Simd.F, w[w0 + 3 * wStride + t]), a3);
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

    /** Tokens per block of the value pass: a block of rows stays in L1 while each column chunk is summed. */
    static final int BLOCK = 128;
}
