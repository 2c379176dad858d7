package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.simd.VectorExp;
import dev.veloxquant.cache.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** In-place {@code softmax(scale * x)} over one row, max-subtracted for stability. */
public final class Softmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Softmax() {
    }

    public static void apply(float[] x, int off, int n, float scale) {
        int l = F.length();
        int i = 0;
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i + l <= n; i += l) {
            mv = mv.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float shift = max * scale;
        FloatVector sum = FloatVector.zero(F);
        i = 0;
        for (; i + l <= n; i += l) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, x, off + i).mul(scale).sub(shift));
            e.intoArray(x, off + i);
            sum = sum.add(e);
        }
        float s = Lanes.sum(sum);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] * scale - shift);
            x[off + i] = e;
            s += e;
        }
        float inv = 1f / s;
        i = 0;
        for (; i + l <= n; i += l) {
            FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    public static void reference(float[] x, int off, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] * scale - max * scale);
            s += x[off + i];
        }
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) (x[off + i] / s);
        }
    }
}
