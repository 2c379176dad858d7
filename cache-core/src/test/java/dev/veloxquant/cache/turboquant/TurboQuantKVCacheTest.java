package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.TestGeometries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class TurboQuantKVCacheTest {
    static final int HEADS = 2;
    static final int D = 64;

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @ParameterizedTest
    @CsvSource({"2,2,16,32,100", "2,2,4,0,50", "1,3,8,8,70", "3,2,16,0,40", "4,1,2,32,10", "2,4,16,16,90"})
    void scoresAndValuesEqualThoseOfTheDecodedCache(int bits, int stages, int valueBits, int window, int tokens) {
        Random rnd = new Random(bits * 100 + stages * 10 + tokens);
        TurboQuantKVCache cache = new TurboQuantKVCache(2, HEADS, D, bits, stages, valueBits, window);
        float[] k = gaussian(rnd, tokens * HEADS * D);
        float[] v = gaussian(rnd, tokens * HEADS * D);
        cache.append(k, 0, v, 0, tokens / 2);
        for (int t = tokens / 2; t < tokens; t++) {
            cache.append(k, t * HEADS * D, v, t * HEADS * D, 1);
        }
        assertThat(cache.codedTokens()).isEqualTo(Math.max(0, tokens - window));
        int nq = 3;
        float[] q = gaussian(rnd, nq * D);
        for (int h = 0; h < HEADS; h++) {
            float[] dk = cache.decodedKeys(h);
            float[] dv = cache.decodedValues(h);
            for (int upTo : new int[] {tokens, Math.max(1, tokens / 3)}) {
                float[] s = new float[nq * upTo];
                cache.scores(h, q, 0, nq, upTo, s, 0);
                for (int qi = 0; qi < nq; qi++) {
                    for (int t = 0; t < upTo; t++) {
                        float want = 0;
                        for (int d = 0; d < D; d++) {
                            want += q[qi * D + d] * dk[t * D + d];
                        }
                        assertThat(s[qi * upTo + t]).isCloseTo(want, offset(2e-4f * (1 + Math.abs(want))));
                    }
                }
                float[] w = gaussian(rnd, nq * upTo);
                float[] o = new float[nq * D];
                cache.accumulateValues(h, w, 0, nq, upTo, o, 0);
                for (int qi = 0; qi < nq; qi++) {
                    for (int d = 0; d < D; d++) {
                        float want = 0;
                        for (int t = 0; t < upTo; t++) {
                            want += w[qi * upTo + t] * dv[t * D + d];
                        }
                        assertThat(o[qi * D + d]).isCloseTo(want, offset(1e-3f * (1 + Math.abs(want))));
                    }
                }
            }
        }
    }

    /**
     * Hand-computed sizes for a velox-tiny layer (2 KV heads x 64), bits 2 x 2 residuals, window 32:
     * a coded key or value row is 2 stages x 64 x 2 bits = 32 B + a 2 B scale; an fp16 row 128 B.
     * With fp16 values every value row is 128 B; with 4-bit values a coded value row is 32 B + 2 B.
     */
    @ParameterizedTest
    @CsvSource({
            "16, 10, 2560, 2560",      // all in the window
            "16, 32, 8192, 8192",      // the window exactly full, nothing coded
            "16, 33, 8260, 8448",      // 1 coded key (34 B) + 32 fp16 rows per head; values all fp16
            "16, 1000, 74016, 256000", // 968 coded keys (34 B) + 32 fp16 rows per head
            "4, 1000, 74016, 74016",   // 4-bit values: one 4-bit Gaussian stage = 32 B + 2 B per coded row
    })
    void footprintMatchesHandComputedBytes(int valueBits, int tokens, long keyBytes, long valueBytes) {
        TurboQuantKVCache cache = new TurboQuantKVCache(0, HEADS, D, 2, 2, valueBits, 32);
        float[] x = gaussian(new Random(tokens), tokens * HEADS * D);
        cache.append(x, 0, x, 0, tokens);
        CacheFootprint f = cache.footprint();
        assertThat(f.keyBytes()).isEqualTo(keyBytes);
        assertThat(f.valueBytes()).isEqualTo(valueBytes);
    }

    @Test
    void bitsPerElementAreStageBitsPlusTheScale() {
        // no window: bits x residuals + 16 / headDim
        TurboQuantKVCache cache = new TurboQuantKVCache(0, HEADS, D, 2, 2, 2, 0);
        float[] x = gaussian(new Random(1), 64 * HEADS * D);
        cache.append(x, 0, x, 0, 64);
        assertThat(cache.footprint().keyBitsPerElement()).isEqualTo(4.25);
        assertThat(cache.footprint().valueBitsPerElement()).isEqualTo(2.25);
    }

    @Test
    void builderMakesTurboQuantLayersWithSharedRotations() {
        KVCacheConfig cfg = KVCacheConfig.of(KVCacheMethod.TURBOQUANT).withValueBits(4).withWindowSize(0);
        try (SequenceKVCache a = KVCacheBuilder.build(TestGeometries.TINY, cfg);
             SequenceKVCache b = KVCacheBuilder.build(TestGeometries.TINY, cfg)) {
            float[] x = gaussian(new Random(2), 5 * HEADS * D);
            a.layer(3).append(x, 0, x, 0, 5);
            b.layer(3).append(x, 0, x, 0, 5);
            assertThat(((TurboQuantKVCache) a.layer(3)).decodedKeys(1)).containsExactly(((TurboQuantKVCache) b.layer(3)).decodedKeys(1));
            assertThat(a.layer(3).footprint().bytes()).isEqualTo(2L * 5 * (34 + 34));
        }
    }
}
