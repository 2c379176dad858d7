package dev.veloxquant.cache.commvq;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The value pass over fp16 rows ({@code headDim} halves per token): {@code acc_q += Σ_t w_q[t]·v_t}
 * for a GQA group. Rows hold finite halves only (the cache saturates on the way in), which makes the
 * conversion three operations shorter. {@link #accumulate} keeps up to four query accumulators of one column chunk in
 * registers across a run of tokens; {@link #accumulateScalar} is its reference.
 */
final class HalfFloatValues {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int VL = FS.length();
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final VectorSpecies<Short> SS = shortSpecies();
    private static final int RUN = 128;

    private HalfFloatValues() {
    }

    private static VectorSpecies<Short> shortSpecies() {
        try {
            return VectorSpecies.of(short.class, VectorShape.forBitSize(VL * 16));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static void accumulate(short[] v, int vOff, int tokens, int headDim, float[] w, int wOff, int wStride, int nq,
                           float[] acc, int accOff) {
        if (SS == null || headDim % VL != 0) {
            accumulateScalar(v, vOff, tokens, headDim, w, wOff, wStride, nq, acc, accOff);
            return;
        }
        for (int q0 = 0; q0 < nq; q0 += 4) {
            int m = Math.min(4, nq - q0);
            int w0 = wOff + q0 * wStride;
            int a0o = accOff + q0 * headDim;
            for (int tb = 0; tb < tokens; tb += RUN) {
                int tEnd = Math.min(tokens, tb + RUN);
                for (int d = 0; d < headDim; d += VL) {
                    FloatVector a0 = FloatVector.fromArray(FS, acc, a0o + d);
                    FloatVector a1 = m > 1 ? FloatVector.fromArray(FS, acc, a0o + headDim + d) : a0;
                    FloatVector a2 = m > 2 ? FloatVector.fromArray(FS, acc, a0o + 2 * headDim + d) : a0;
                    FloatVector a3 = m > 3 ? FloatVector.fromArray(FS, acc, a0o + 3 * headDim + d) : a0;
                    for (int t = tb; t < tEnd; t++) {
                        FloatVector x = finiteToFloat(v, vOff + t * headDim + d);
                        a0 = x.fma(FloatVector.broadcast(FS, w[w0 + t]), a0);
                        if (m > 1) {
                            a1 = x.fma(FloatVector.broadcast(FS, w[w0 + wStride + t]), a1);
                            if (m > 2) {
                                a2 = x.fma(FloatVector.broadcast(FS, w[w0 + 2 * wStride + t]), a2);
                                if (m > 3) {
                                    a3 = x.fma(FloatVector.broadcast(FS, w[w0 + 3 * wStride + t]), a3);
                                }
                            }
                        }
                    }
                    a0.intoArray(acc, a0o + d);
                    if (m > 1) {
                        a1.intoArray(acc, a0o + headDim + d);
                    }
                    if (m > 2) {
                        a2.intoArray(acc, a0o + 2 * headDim + d);
                    }
                    if (m > 3) {
                        a3.intoArray(acc, a0o + 3 * headDim + d);
                    }
                }
            }
        }
    }

    static void accumulateScalar(short[] v, int vOff, int tokens, int headDim, float[] w, int wOff, int wStride, int nq,
                                 float[] acc, int accOff) {
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < tokens; t++) {
                float wt = w[wOff + qi * wStride + t];
                for (int d = 0; d < headDim; d++) {
                    acc[accOff + qi * headDim + d] += wt * Float.float16ToFloat(v[vOff + t * headDim + d]);
                }
            }
        }
    }

    /**
     * VL finite halves (normal or subnormal; what the encoders write) to floats, exactly: the
     * exponent and mantissa moved to float position read as a float 2^112 too small.
     */
    static FloatVector finiteToFloat(short[] a, int off) {
        IntVector h = (IntVector) ShortVector.fromArray(SS, a, off).convertShape(VectorOperators.S2I, IS, 0);
        FloatVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /**
     * VL halves to floats, exactly (normals, subnormals, infinities, NaN): the half's exponent and
     * mantissa moved to float position read as a float 2^112 too small.
     */
    static FloatVector toFloat(short[] a, int off) {
        IntVector h = (IntVector) ShortVector.fromArray(SS, a, off).convertShape(VectorOperators.S2I, IS, 0);
        IntVector e = h.and(0x7FFF);
        FloatVector mag = e.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        IntVector bits = mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
        VectorMask<Integer> special = e.compare(VectorOperators.GE, 0x7C00);
        return bits.lanewise(VectorOperators.OR, 0x7F800000, special).reinterpretAsFloats();
    }
}
