package dev.veloxquant.cache.quality;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.fp16.Fp16KVCache;
import dev.veloxquant.cache.turboquant.TurboQuantKVCache;
import dev.veloxquant.cache.uniform.UniformKVCache;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class QualityMetricsTest {
    static final int HEADS = 6;
    static final int KV = 2;
    static final int SEQ = 96;
    static final int D = 64;

    static float[] gaussian(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian() * scale;
        }
        return a;
    }

    @Test
    void relativeMseAndErrorOfKnownVectors() {
        assertThat(QualityMetrics.relativeMse(new float[] {3, 4}, new float[] {3, 4})).isZero();
        // error (0, 1) against energy 25
        assertThat(QualityMetrics.relativeMse(new float[] {3, 4}, new float[] {3, 5})).isCloseTo(1.0 / 25, offset(1e-12));
        assertThat(QualityMetrics.relativeError(new float[] {3, 4}, new float[] {3, 5})).isCloseTo(0.2, offset(1e-12));
    }

    @Test
    void referenceAttentionOfTheFirstTokenIsItsValue() {
        Random rnd = new Random(1);
        float[] q = gaussian(rnd, HEADS * SEQ * D, 1);
        float[] k = gaussian(rnd, KV * SEQ * D, 1);
        float[] v = gaussian(rnd, KV * SEQ * D, 1);
        float[] o = QualityMetrics.referenceAttention(q, k, v, HEADS, KV, SEQ, D);
        for (int h = 0; h < HEADS; h++) {
            for (int d = 0; d < D; d++) {
                assertThat(o[h * SEQ * D + d]).isEqualTo(v[(h / 3) * SEQ * D + d]);
            }
        }
    }

    @Test
    void attentionErrorGrowsAsBitsShrinkAndFp16IsNearlyExact() {
        Random rnd = new Random(2);
        float[] q = gaussian(rnd, HEADS * SEQ * D, 0.5f);
        float[] k = gaussian(rnd, KV * SEQ * D, 1);
        float[] v = gaussian(rnd, KV * SEQ * D, 1);
        float[] exact = QualityMetrics.referenceAttention(q, k, v, HEADS, KV, SEQ, D);
        double fp16 = error(new Fp16KVCache(KV, D), q, k, v, exact);
        double int8 = error(new UniformKVCache(KV, D, 8, 8, 32, 0), q, k, v, exact);
        double int4 = error(new UniformKVCache(KV, D, 4, 4, 32, 0), q, k, v, exact);
        double int2 = error(new UniformKVCache(KV, D, 2, 2, 32, 0), q, k, v, exact);
        double tq = error(new TurboQuantKVCache(0, KV, D, 2, 2, 4, 0), q, k, v, exact);
        assertThat(fp16).isLessThan(1e-3);
        assertThat(int8).isBetween(fp16, 0.02);
        assertThat(int4).isBetween(int8, 0.2);
        assertThat(int2).isGreaterThan(int4);
        assertThat(tq).isGreaterThan(int8).isLessThan(int2);
    }

    static double error(KVCache cache, float[] q, float[] k, float[] v, float[] exact) {
        return QualityMetrics.relativeError(exact, QualityMetrics.cacheAttention(cache, q, k, v, HEADS, KV, SEQ, D));
    }
}
