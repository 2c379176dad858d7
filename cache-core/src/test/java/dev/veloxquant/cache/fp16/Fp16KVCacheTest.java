package dev.veloxquant.cache.fp16;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class Fp16KVCacheTest {

    @Test
    void scoresAndValuesEqualFp16RoundedDotProductsForEveryPrefix() {
        int heads = 2;
        int d = 64;
        int n = 77;
        Random rnd = new Random(3);
        float[] k = new float[n * heads * d];
        float[] v = new float[n * heads * d];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) rnd.nextGaussian();
            v[i] = (float) rnd.nextGaussian();
        }
        Fp16KVCache cache = new Fp16KVCache(heads, d);
        cache.append(k, 0, v, 0, 40);
        cache.append(k, 40 * heads * d, v, 40 * heads * d, n - 40);
        float[] q = new float[3 * d];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        for (int upTo : new int[] {1, 17, n}) {
            for (int h = 0; h < heads; h++) {
                float[] s = new float[3 * upTo];
                cache.scores(h, q, 0, 3, upTo, s, 0);
                float[] w = new float[3 * upTo];
                for (int i = 0; i < w.length; i++) {
                    w[i] = rnd.nextFloat();
                }
                float[] o = new float[3 * d];
                cache.accumulateValues(h, w, 0, 3, upTo, o, 0);
                for (int qi = 0; qi < 3; qi++) {
                    for (int t = 0; t < upTo; t++) {
                        float want = 0;
                        for (int j = 0; j < d; j++) {
                            want += q[qi * d + j] * Float.float16ToFloat(Float.floatToFloat16(k[(t * heads + h) * d + j]));
                        }
                        assertThat(s[qi * upTo + t]).isCloseTo(want, offset(1e-4f));
                    }
                    for (int j = 0; j < d; j++) {
                        float want = 0;
                        for (int t = 0; t < upTo; t++) {
                            want += w[qi * upTo + t] * Float.float16ToFloat(Float.floatToFloat16(v[(t * heads + h) * d + j]));
                        }
                        assertThat(o[qi * d + j]).isCloseTo(want, offset(1e-4f));
                    }
                }
            }
        }
        assertThat(cache.footprint().bytes()).isEqualTo(4L * n * heads * d);
    }
}
