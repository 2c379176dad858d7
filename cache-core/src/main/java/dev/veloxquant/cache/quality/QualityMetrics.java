package dev.veloxquant.cache.quality;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.simd.Softmax;

/**
 * Quality measures of a compressed KV cache against exact fp32 attention, for tests and the quality
 * report. Tensor layouts follow the reference fixtures: queries {@code [heads, seq, headDim]}, keys
 * and values {@code [kvHeads, seq, headDim]}, query head h reading KV head {@code h / (heads / kvHeads)}.
 */
public final class QualityMetrics {
    private QualityMetrics() {
    }

    /** {@code sum (x - y)^2 / sum x^2}; 0 for an all-zero reference matched exactly. */
    public static double relativeMse(float[] reference, float[] approx) {
        if (reference.length != approx.length) {
            throw new IllegalArgumentException("lengths differ: " + reference.length + " vs " + approx.length);
        }
        double err = 0;
        double energy = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) reference[i] - approx[i];
            err += d * d;
            energy += (double) reference[i] * reference[i];
        }
        return energy == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / energy;
    }

    /** Relative L2 error {@code |x - y| / |x|}: the attention-output error of the quality report. */
    public static double relativeError(float[] reference, float[] approx) {
        return Math.sqrt(relativeMse(reference, approx));
    }

    /** Exact causal attention in fp32/fp64: output {@code [heads, seq, headDim]}, query t attending to keys 0..t. */
    public static float[] referenceAttention(float[] q, float[] k, float[] v, int heads, int kvHeads, int seq, int headDim) {
        int group = heads / kvHeads;
        float[] out = new float[heads * seq * headDim];
        double[] p = new double[seq];
        double scale = 1 / Math.sqrt(headDim);
        for (int h = 0; h < heads; h++) {
            int kh = h / group;
            for (int t = 0; t < seq; t++) {
                int qb = (h * seq + t) * headDim;
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    int kb = (kh * seq + s) * headDim;
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[qb + d] * k[kb + d];
                    }
                    p[s] = dot * scale;
                    max = Math.max(max, p[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) {
                    p[s] = Math.exp(p[s] - max);
                    sum += p[s];
                }
                for (int d = 0; d < headDim; d++) {
                    double o = 0;
                    for (int s = 0; s <= t; s++) {
                        o += p[s] * v[(kh * seq + s) * headDim + d];
                    }
                    out[qb + d] = (float) (o / sum);
                }
            }
        }
        return out;
    }

    /**
     * Causal attention through {@code cache} as generation would use it: tokens are appended one at a
     * time and query t attends to the cache right after token t was appended, so the fp16 window and
     * the groups quantized so far are exactly those a decoder would see. The cache must be empty and
     * take keys in the form given (post-RoPE unless {@link KVCache#keysBeforeRope()}).
     */
    public static float[] cacheAttention(KVCache cache, float[] q, float[] k, float[] v, int heads, int kvHeads, int seq, int headDim) {
        if (cache.size() != 0) {
            throw new IllegalArgumentException("cache must be empty, holds " + cache.size() + " tokens");
        }
        int group = heads / kvHeads;
        float[] out = new float[heads * seq * headDim];
        float[] tokK = new float[kvHeads * headDim];
        float[] tokV = new float[kvHeads * headDim];
        float[] qGroup = new float[group * headDim];
        float[] scores = new float[group * seq];
        float[] o = new float[group * headDim];
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int t = 0; t < seq; t++) {
            for (int kh = 0; kh < kvHeads; kh++) {
                System.arraycopy(k, (kh * seq + t) * headDim, tokK, kh * headDim, headDim);
                System.arraycopy(v, (kh * seq + t) * headDim, tokV, kh * headDim, headDim);
            }
            cache.append(tokK, 0, tokV, 0, 1);
            int n = t + 1;
            for (int kh = 0; kh < kvHeads; kh++) {
                for (int g = 0; g < group; g++) {
                    System.arraycopy(q, ((kh * group + g) * seq + t) * headDim, qGroup, g * headDim, headDim);
                }
                cache.scores(kh, qGroup, 0, group, n, scores, 0);
                for (int g = 0; g < group; g++) {
                    Softmax.inPlace(scores, g * n, n, scale);
                }
                cache.accumulateValues(kh, scores, 0, group, n, o, 0);
                for (int g = 0; g < group; g++) {
                    System.arraycopy(o, g * headDim, out, ((kh * group + g) * seq + t) * headDim, headDim);
                }
            }
        }
        return out;
    }
}
