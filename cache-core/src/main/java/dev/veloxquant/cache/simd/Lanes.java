package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal sum of a {@link FloatVector} in one fixed order. {@code reduceLanes(ADD)} may add the
 * lanes in a different order once C2 compiles the caller than in the interpreter (JDK 25 on x86
 * reduces unordered), so the same input gave different float results depending on JIT timing;
 * quality figures and fixtures then did not reproduce. This tree (lane i + lane i^h for h = n/2 .. 1)
 * is the same in both modes and as fast as the intrinsic.
 */
public final class Lanes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float> X8 = xor(8);
    private static final VectorShuffle<Float> X4 = xor(4);
    private static final VectorShuffle<Float> X2 = xor(2);
    private static final VectorShuffle<Float> X1 = xor(1);

    private Lanes() {
    }

    private static VectorShuffle<Float> xor(int h) {
        return VectorShuffle.fromOp(S, i -> h < S.length() ? i ^ h : i);
    }

    /** Sum of the lanes of a vector of the preferred species, in the fixed order of {@link #sumScalar}. */
    public static float sum(FloatVector v) {
        int n = S.length();
        if (n > 16) {
            return sumScalar(v.toArray());
        }
        if (n >= 16) {
            v = v.add(v.rearrange(X8));
        }
        if (n >= 8) {
            v = v.add(v.rearrange(X4));
        }
        if (n >= 4) {
            v = v.add(v.rearrange(X2));
        }
        if (n >= 2) {
            v = v.add(v.rearrange(X1));
        }
        return v.lane(0);
    }

    /** Scalar reference: pairwise halving, {@code a[i] += a[i ^ h]} for h = n/2 .. 1, then {@code a[0]}. */
    public static float sumScalar(float[] lanes) {
        float[] a = lanes.clone();
        for (int h = a.length / 2; h >= 1; h /= 2) {
            float[] b = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                b[i] = a[i] + a[i ^ h];
            }
            a = b;
        }
        return a[0];
    }
}
