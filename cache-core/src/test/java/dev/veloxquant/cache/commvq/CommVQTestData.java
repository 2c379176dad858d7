package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RotaryEmbedding;

import java.util.Random;

/** Synthetic pre-RoPE keys with what real keys have: per-channel offsets and scales, a few outlier channels. */
final class CommVQTestData {
    private CommVQTestData() {
    }

    /** {@code tokens x heads x headDim} keys. */
    static float[] keys(Random r, int tokens, int heads, int headDim) {
        float[] mean = new float[heads * headDim];
        float[] scale = new float[heads * headDim];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (r.nextGaussian() * 0.8);
            scale[i] = (float) Math.exp(r.nextGaussian() * 0.7) * (i % 17 == 3 ? 6f : 1f);
        }
        float[] k = new float[tokens * heads * headDim];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < heads * headDim; i++) {
                k[t * heads * headDim + i] = mean[i] + scale[i] * (float) r.nextGaussian();
            }
        }
        return k;
    }

    static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** q·RoPE_t(k) in double with exact angles, k pre-RoPE at {@code k[kOff..]}. */
    static double ropeDot(RotaryEmbedding rope, float[] q, int qOff, float[] k, int kOff, int t) {
        int d = rope.headDim();
        double s = 0;
        for (int p = 0; p < rope.pairs(); p++) {
            int i = rope.layout().first(p, d);
            int j = rope.layout().second(p, d);
            double a = rope.angle(p, t);
            double c = Math.cos(a);
            double sn = Math.sin(a);
            double x = k[kOff + i];
            double y = k[kOff + j];
            s += q[qOff + i] * (x * c - y * sn) + q[qOff + j] * (x * sn + y * c);
        }
        return s;
    }

    /** Float32 rounding bound for a dot of length d: a few ulps of the sum of |terms|. */
    static double tolerance(float[] q, int qOff, float[] k, int kOff, int d) {
        double m = 0;
        for (int i = 0; i < d; i++) {
            m += Math.abs((double) q[qOff + i]) * Math.abs(k[kOff + i]) + 0.0;
        }
        // the key's pair magnitudes bound its rotated components too
        double qn = 0;
        double kn = 0;
        for (int i = 0; i < d; i++) {
            qn += (double) q[qOff + i] * q[qOff + i];
            kn += (double) k[kOff + i] * k[kOff + i];
        }
        return 4e-6 * Math.max(m, Math.sqrt(qn * kn)) * Math.sqrt(d) / 8 + 1e-7;
    }
}
