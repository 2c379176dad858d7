package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.CacheFootprint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class UniformKVCacheTest {
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
    @CsvSource({"2,2,32,32,1", "4,4,32,32,200", "8,8,32,32,130", "4,16,32,32,100", "2,2,16,0,70", "4,4,32,0,33", "4,2,64,48,300"})
    void scoresAndValuesEqualThoseOfTheDecodedCache(int keyBits, int valueBits, int group, int window, int tokens) {
        Random rnd = new Random(keyBits * 1000 + tokens);
        UniformKVCache cache = new UniformKVCache(HEADS, D, keyBits, valueBits, group, window);
        float[] k = gaussian(rnd, tokens * HEADS * D);
        float[] v = gaussian(rnd, tokens * HEADS * D);
        // prefill in two pieces, then decode steps: the cache must not care how tokens arrive
        int first = tokens / 2;
        cache.append(k, 0, v, 0, first);
        for (int t = first; t < tokens; t++) {
            cache.append(k, t * HEADS * D, v, t * HEADS * D, 1);
        }
        assertThat(cache.size()).isEqualTo(tokens);
        int nq = 3;
        float[] q = gaussian(rnd, nq * D);
        for (int h = 0; h < HEADS; h++) {
            float[] dk = cache.decodedKeys(h);
            float[] dv = cache.decodedValues(h);
            for (int upTo : new int[] {tokens, Math.max(1, tokens / 3), Math.min(tokens, 33)}) {
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
            // the newest tokens are exact fp16 copies
            int fp16Keys = tokens - cache.quantizedKeys();
            assertThat(fp16Keys).isGreaterThanOrEqualTo(Math.min(tokens, window));
            for (int t = tokens - fp16Keys; t < tokens; t++) {
                for (int d = 0; d < D; d++) {
                    assertThat(dk[t * D + d]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(k[(t * HEADS + h) * D + d])));
                }
            }
        }
    }

    @Test
    void keysAreQuantizedOnlyInWholeGroupsOutsideTheWindowAndValuesTokenByToken() {
        UniformKVCache cache = new UniformKVCache(HEADS, D, 4, 4, 32, 32);
        Random rnd = new Random(5);
        int[] expectKeys = new int[101];
        for (int n = 1; n <= 100; n++) {
            cache.append(gaussian(rnd, HEADS * D), 0, gaussian(rnd, HEADS * D), 0, 1);
            assertThat(cache.quantizedKeys()).as("keys at %d", n).isEqualTo(n < 64 ? 0 : n < 96 ? 32 : 64);
            assertThat(cache.quantizedValues()).as("values at %d", n).isEqualTo(Math.max(0, n - 32));
        }
    }

    /**
     * Hand-computed sizes, velox-tiny layer (2 KV heads x 64), group 32, window 32. Per head: an int4 key
     * row is 64*4/8 = 32 B, a key group's scale+zero 64 channels x 2 x 2 B = 256 B, an fp16 row 128 B;
     * an int4 value row 32 B plus 2 channel groups x (2+2) B = 8 B.
     */
    @ParameterizedTest
    @CsvSource({
            // tokens, keyBytes, valueBytes
            "10, 2560, 2560",        // all inside the window: 2 heads x 10 x 128 B each
            "63, 16128, 10672",      // keys: 63 fp16 rows; values: 31 coded (40 B) + 32 fp16
            "64, 10752, 10752",      // keys: 1 group coded (32*32+256) + 32 fp16; values 32 coded + 32 fp16
            "100, 14336, 13632",     // keys: 2 groups (2*(1024+256)) + 36 fp16; values 68*40 + 32*128
    })
    void int4FootprintMatchesHandComputedBytes(int tokens, long keyBytes, long valueBytes) {
        UniformKVCache cache = new UniformKVCache(HEADS, D, 4, 4, 32, 32);
        float[] x = gaussian(new Random(tokens), tokens * HEADS * D);
        cache.append(x, 0, x, 0, tokens);
        CacheFootprint f = cache.footprint();
        assertThat(f.tokens()).isEqualTo(tokens);
        assertThat(f.elements()).isEqualTo((long) tokens * HEADS * D);
        assertThat(f.keyBytes()).isEqualTo(keyBytes);
        assertThat(f.valueBytes()).isEqualTo(valueBytes);
        assertThat(f.fp16Bytes()).isEqualTo(4L * tokens * HEADS * D);
    }

    /**
     * int8 and int2 on the same layer: a key row is 64 B (int8) or 16 B (int2), a key group's
     * scale+zero 256 B; a value row is 64 or 16 B plus 2 x (2+2) B.
     */
    @ParameterizedTest
    @CsvSource({
            "8, 95, 20736, 17264",   // keys: 1 group (32*64+256) + 63 fp16 rows; values: 63 coded (72 B) + 32 fp16
            "8, 100, 18432, 17984",  // keys: 2 groups + 36 fp16; values 68*72 + 32*128
            "2, 100, 12288, 11456",  // keys: 2 groups (2*(32*16+256)) + 36 fp16; values 68*24 + 32*128
            "2, 32, 8192, 8192",     // exactly the window: all fp16
    })
    void int8AndInt2FootprintsMatchHandComputedBytes(int bits, int tokens, long keyBytes, long valueBytes) {
        UniformKVCache cache = new UniformKVCache(HEADS, D, bits, bits, 32, 32);
        float[] x = gaussian(new Random(tokens), tokens * HEADS * D);
        for (int t = 0; t < tokens; t++) {
            cache.append(x, t * HEADS * D, x, t * HEADS * D, 1);
        }
        assertThat(cache.footprint().keyBytes()).isEqualTo(keyBytes);
        assertThat(cache.footprint().valueBytes()).isEqualTo(valueBytes);
    }

    @ParameterizedTest
    @CsvSource({"2,3.0", "4,5.0", "8,9.0"})
    void bitsPerElementIncludeScaleAndZeroOverhead(int bits, double expected) {
        // no window, whole groups: key overhead 32 bits per channel per 32 tokens, value overhead 32 bits per 32 channels
        UniformKVCache cache = new UniformKVCache(HEADS, D, bits, bits, 32, 0);
        int tokens = 32 * 40;
        float[] x = gaussian(new Random(bits), tokens * HEADS * D);
        cache.append(x, 0, x, 0, tokens);
        CacheFootprint f = cache.footprint();
        assertThat(f.keyBitsPerElement()).isEqualTo(expected);
        assertThat(f.valueBitsPerElement()).isEqualTo(expected);
        assertThat(f.compressionRatio()).isEqualTo(16.0 / expected);
    }

    @Test
    void fp16ValuesWhenValueBitsIs16() {
        UniformKVCache cache = new UniformKVCache(HEADS, D, 2, 16, 32, 32);
        int tokens = 200;
        float[] x = gaussian(new Random(9), tokens * HEADS * D);
        cache.append(x, 0, x, 0, tokens);
        // keys: 160 coded (5 groups x (16 B rows x 32 + 256 B)) + 40 fp16 rows, per head; values all fp16
        assertThat(cache.footprint().keyBytes()).isEqualTo(2L * (5 * (32 * 16 + 256) + 40 * 128));
        assertThat(cache.footprint().valueBytes()).isEqualTo(2L * 200 * 128);
    }

    @Test
    void closedCacheHoldsNothingAndRefusesWork() {
        UniformKVCache cache = new UniformKVCache(HEADS, D, 4, 4, 32, 32);
        cache.append(new float[HEADS * D], 0, new float[HEADS * D], 0, 1);
        cache.close();
        assertThat(cache.footprint()).isEqualTo(CacheFootprint.EMPTY);
        assertThatThrownBy(() -> cache.append(new float[HEADS * D], 0, new float[HEADS * D], 0, 1))
                .isInstanceOf(IllegalStateException.class);
    }
}
