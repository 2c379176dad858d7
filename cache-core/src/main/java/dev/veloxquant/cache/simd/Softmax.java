package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Numerically stable softmax of a row of raw scores after scaling (1/sqrt(d) for attention), in place. */
public final class Softmax {
    private Softmax() {
    }

    public static void inPlace(float[] a, int off, int n, float scale) {
        if (Simd.enabled()) {
            inPlaceVector(a, off, n, scale);
        } else {
            inPlaceScalar(a, off, n, scale);
        }
    }

    public static void inPlaceScalar(float[] a, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, a[off + i] * scale);
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(a[off + i] * scale - max);
            a[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            a[off + i] *= inv;
        }
    }

    static void inPlaceVector(float[] a, int off, int n, float scale) {
        int lanes = Simd.L;
        int full = n - n % lanes;
        FloatVector vmax = FloatVector.broadcast(Simd.F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < full; i += lanes) {
            vmax = vmax.max(FloatVector.fromArray(Simd.F, a, off + i).mul(scale));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (int i = full; i < n; i++) {
            max = Math.max(max, a[off + i] * scale);
        }
        FloatVector vsum = FloatVector.zero(Simd.F);
        for (int i = 0; i < full; i += lanes) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(Simd.F, a, off + i).mul(scale).sub(max));
            e.intoArray(a, off + i);
            vsum = vsum.add(e);
        }
        float sum = Lanes.sum(vsum);
        for (int i = full; i < n; i++) {
            float e = (float) Math.exp(a[off + i] * scale - max);
            a[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < full; i += lanes) {
            FloatVector.fromArray(Simd.F, a, off + i).mul(inv).intoArray(a, off + i);
        }
        for (int i = full; i < n; i++) {
            a[off + i] *= inv;
        }
    }
}
