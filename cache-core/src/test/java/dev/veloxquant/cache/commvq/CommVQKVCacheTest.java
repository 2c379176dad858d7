package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommVQKVCacheTest {
    private static final int HEADS = 2;
    private static final int D = 64;

    private static CommVQKVCache cache(RotaryEmbedding rope, int bits, int res, int group, int window, int valueBits) {
        return cache(rope, bits, res, group, window, valueBits, 1);
    }

    private static CommVQKVCache cache(RotaryEmbedding rope, int bits, int res, int group, int window, int valueBits,
                                       int sinks) {
        CommVQParams p = new CommVQQuantizer(bits, res, rope.layout(), group).paramsFor(D);
        return new CommVQKVCache(HEADS, D, rope, p, window, valueBits, sinks);
    }

    /** Every score equals q·RoPE_t(decode(code_t)) to float32 rounding, for every cut {@code upTo}. */
    private static void assertScoresMatchDecodedKeys(CommVQKVCache c, RotaryEmbedding rope, Random r, int numQueries) {
        float[] q = CommVQTestData.gaussian(r, numQueries * D);
        for (int h = 0; h < HEADS; h++) {
            float[] k = c.decodeKeys(h);
            for (int upTo : new int[] {c.size(), Math.max(0, c.size() - 7), c.size() / 2}) {
                float[] out = new float[numQueries * upTo];
                c.scores(h, q, 0, numQueries, upTo, out, 0);
                for (int qi = 0; qi < numQueries; qi++) {
                    for (int t = 0; t < upTo; t++) {
                        double want = CommVQTestData.ropeDot(rope, q, qi * D, k, t * D, t);
                        double tol = CommVQTestData.tolerance(q, qi * D, k, t * D, D);
                        assertThat((double) out[qi * upTo + t]).as("head %d query %d token %d of %d", h, qi, t, upTo)
                                .isCloseTo(want, org.assertj.core.data.Offset.offset(tol));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"2,2,32,32,HALF,3", "2,2,32,0,INTERLEAVED,4", "1,2,32,32,HALF,3", "2,1,16,8,HALF,1", "1,1,32,0,HALF,5",
            "3,1,32,0,HALF,3", "2,3,8,4,INTERLEAVED,2", "2,2,64,0,HALF,6"})
    void scoresFromCodesEqualRotatedDecodedKeys(int bits, int res, int group, int window, RopeLayout layout, int nq) {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, layout);
        CommVQKVCache c = cache(rope, bits, res, group, window, 16);
        Random r = new Random(bits * 100 + res * 10 + group);
        float[] prompt = CommVQTestData.keys(r, 150, HEADS, D);
        c.append(prompt, 0, CommVQTestData.gaussian(r, 150 * HEADS * D), 0, 150);
        assertScoresMatchDecodedKeys(c, rope, r, nq);
        for (int t = 0; t < 40; t++) {
            float[] k = CommVQTestData.keys(r, 1, HEADS, D);
            c.append(k, 0, CommVQTestData.gaussian(r, HEADS * D), 0, 1);
        }
        assertThat(c.encodedTokens()).isGreaterThan(0);
        assertScoresMatchDecodedKeys(c, rope, r, nq);
    }

    @ParameterizedTest
    @CsvSource({"128,HALF", "96,INTERLEAVED", "80,HALF", "32,HALF"})
    void otherHeadSizesScoreFromCodesExactly(int d, RopeLayout layout) {
        RotaryEmbedding rope = RotaryEmbedding.standard(d, 500000, layout);
        int heads = 3;
        CommVQKVCache c = new CommVQKVCache(heads, d, rope, new CommVQQuantizer(2, 2, layout, 32).paramsFor(d), 16, 16);
        Random r = new Random(d);
        int n = 140;
        c.append(CommVQTestData.keys(r, n, heads, d), 0, CommVQTestData.gaussian(r, n * heads * d), 0, n);
        int nq = 4;
        float[] q = CommVQTestData.gaussian(r, nq * d);
        for (int h = 0; h < heads; h++) {
            float[] k = c.decodeKeys(h);
            float[] out = new float[nq * n];
            c.scores(h, q, 0, nq, n, out, 0);
            for (int qi = 0; qi < nq; qi++) {
                for (int t = 0; t < n; t++) {
                    double want = CommVQTestData.ropeDot(rope, q, qi * d, k, t * d, t);
                    assertThat((double) out[qi * n + t]).as("d %d head %d query %d token %d", d, h, qi, t)
                            .isCloseTo(want, org.assertj.core.data.Offset.offset(CommVQTestData.tolerance(q, qi * d, k, t * d, d)));
                }
            }
        }
    }

    @Test
    void oneTokenPromptThenDecodeStaysCorrect() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 500000, RopeLayout.HALF);
        CommVQKVCache c = cache(rope, 2, 2, 32, 0, 16);
        Random r = new Random(7);
        for (int t = 0; t < 70; t++) {
            c.append(CommVQTestData.keys(r, 1, HEADS, D), 0, CommVQTestData.gaussian(r, HEADS * D), 0, 1);
            if (t == 0 || t == 31 || t == 32 || t == 69) {
                assertScoresMatchDecodedKeys(c, rope, r, 3);
            }
        }
        assertThat(c.encodedTokens()).isEqualTo(64);
    }

    @Test
    void vectorPathEqualsScalarReference() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.HALF);
        Random r = new Random(8);
        for (int[] br : new int[][] {{2, 2, 1}, {2, 2, 0}, {1, 2, 1}, {1, 2, 0}, {1, 1, 1}, {4, 1, 0}}) {
            for (int group : new int[] {32, 64, 128}) {
                CommVQParams p = new CommVQQuantizer(br[0], br[1], RopeLayout.HALF, group, true, br[2] == 1).paramsFor(D);
                CodeScorer s = new CodeScorer(p, RopeTables.of(rope, group));
                int blocks = 5;
                byte[] codes = new byte[blocks * p.blockCodeBytes()];
                r.nextBytes(codes);
                short[] meta = new short[blocks * p.blockMetaShorts()];
                for (int i = 0; i < meta.length; i++) {
                    int row = (i % p.blockMetaShorts()) / p.pairs();
                    if (p.compactSteps()) {
                        meta[i] = row < 2 ? Float.floatToFloat16((float) r.nextGaussian()) : (short) (160 + r.nextInt(90) | (160 + r.nextInt(90)) << 8);
                    } else {
                        meta[i] = Float.floatToFloat16((float) (row % 2 == 0 ? r.nextGaussian() : r.nextDouble() * 0.3));
                    }
                }
                short[] norms = new short[blocks * group];
                for (int i = 0; i < norms.length; i++) {
                    norms[i] = Float.floatToFloat16((float) (0.5 + r.nextDouble() * 3));
                }
                for (int nq : new int[] {1, 3, 4, 6}) {
                    float[] q = CommVQTestData.gaussian(r, nq * D);
                    float[] fast = new float[nq * blocks * group];
                    float[] ref = new float[nq * blocks * group];
                    s.scoreBlocks(codes, meta, norms, blocks, q, 0, nq, fast, 0, blocks * group);
                    s.scoreBlocksScalar(codes, meta, norms, blocks, q, 0, nq, ref, 0, blocks * group);
                    for (int i = 0; i < ref.length; i++) {
                        assertThat(fast[i]).as("bits %dx%d group %d nq %d i %d", br[0], br[1], group, nq, i)
                                .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(2e-5f * (1 + Math.abs(ref[i]))));
                    }
                }
                int vl = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
                if (br[0] * br[1] <= 4 && vl <= 16) {
                    assertThat(s.fastPath()).as("bits %dx%d group %d", br[0], br[1], group)
                            .isEqualTo(group / p.codesPerByte() % vl == 0);
                }
            }
        }
    }

    @Test
    void fp16WindowVectorPathEqualsScalarReference() {
        Random r = new Random(11);
        for (RopeLayout layout : RopeLayout.values()) {
            RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, layout);
            CommVQParams p = new CommVQQuantizer(2, 2, layout, 32).paramsFor(D);
            CodeScorer s = new CodeScorer(p, RopeTables.of(rope, 32));
            int count = 77;
            short[] keys = new short[count * D];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = Float.floatToFloat16((float) r.nextGaussian() * 3);
            }
            for (int firstPos : new int[] {0, 5, 1000}) {
                int nq = 3;
                float[] q = CommVQTestData.gaussian(r, nq * D);
                int stride = firstPos + count;
                float[] fast = new float[nq * stride];
                float[] ref = new float[nq * stride];
                s.scoreFp16Vector(keys, firstPos, count, q, 0, nq, fast, 0, stride);
                s.scoreFp16(keys, firstPos, count, q, 0, nq, ref, 0, stride);
                for (int i = 0; i < ref.length; i++) {
                    assertThat(fast[i]).as("%s pos %d i %d", layout, firstPos, i)
                            .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(ref[i]))));
                }
            }
        }
    }

    @Test
    void footprintCountsCodesGridsNormsAndWindowExactly() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.HALF);
        CommVQKVCache c = cache(rope, 2, 2, 32, 32, 16);
        Random r = new Random(9);
        c.append(CommVQTestData.keys(r, 100, HEADS, D), 0, CommVQTestData.gaussian(r, 100 * HEADS * D), 0, 100);
        // 100 tokens, window 32: two blocks of 32 encoded (100-64 = 36 >= 32 left), 36 in fp16, and the
        // attention-sink token 0 in fp16 too.
        assertThat(c.encodedTokens()).isEqualTo(64);
        long block = 32 * 32 /* codes: 32 pairs x 32 tokens x 1 byte */ + 32 * 3 * 2 /* grid */ + 32 * 2 /* norms */;
        long keys = HEADS * (2 * block + (36L + 1) * D * 2);
        long values = HEADS * 100L * D * 2;
        CacheFootprint f = c.footprint();
        assertThat(f).isEqualTo(new CacheFootprint(100, 100L * HEADS * D, keys, values));

        // the default keeps no sink token: exactly the encoded blocks and the window
        CommVQKVCache plain = new CommVQKVCache(HEADS, D, rope, new CommVQQuantizer(2, 2).paramsFor(D), 32, 16);
        plain.append(CommVQTestData.keys(r, 100, HEADS, D), 0, CommVQTestData.gaussian(r, 100 * HEADS * D), 0, 100);
        assertThat(plain.footprint().keyBytes()).isEqualTo(HEADS * (2 * block + 36L * D * 2));
        CommVQKVCache q4 = cache(rope, 1, 2, 32, 0, 4);
        q4.append(CommVQTestData.keys(r, 70, HEADS, D), 0, CommVQTestData.gaussian(r, 70 * HEADS * D), 0, 70);
        long block2 = 32 * 16 + 32 * 3 * 2 + 32 * 2;
        long tokenValue = D * 4 / 8 + 2 * 2 * 2; // 4-bit codes + (min, step) for 2 groups of 32 channels
        assertThat(q4.footprint()).isEqualTo(new CacheFootprint(70, 70L * HEADS * D,
                HEADS * (2 * block2 + (6L + 1) * D * 2), HEADS * (64 * tokenValue + 6L * D * 2)));
        // before the first block is encoded, token 0 is only in the window: no sink copy yet
        CommVQKVCache young = cache(rope, 2, 2, 32, 32, 16);
        young.append(CommVQTestData.keys(r, 40, HEADS, D), 0, CommVQTestData.gaussian(r, 40 * HEADS * D), 0, 40);
        assertThat(young.footprint().keyBytes()).isEqualTo(HEADS * 40L * D * 2);
        q4.close();
        assertThat(q4.footprint()).isEqualTo(CacheFootprint.EMPTY);
        assertThatThrownBy(() -> q4.append(new float[HEADS * D], 0, new float[HEADS * D], 0, 1))
                .isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @CsvSource({"16", "8", "4", "2"})
    void valuesSumWeightedDecodedValues(int valueBits) {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.HALF);
        CommVQKVCache c = cache(rope, 2, 2, 32, 16, valueBits);
        Random r = new Random(10);
        int n = 90;
        float[] v = CommVQTestData.gaussian(r, n * HEADS * D);
        c.append(CommVQTestData.keys(r, n, HEADS, D), 0, v, 0, n);
        int nq = 3;
        float[] w = new float[nq * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextDouble() / n;
        }
        double bound = switch (valueBits) {
            case 16 -> 1e-3;
            case 8 -> 2e-2;
            case 4 -> 0.25;
            default -> 1.2;
        };
        for (int h = 0; h < HEADS; h++) {
            float[] out = new float[nq * D];
            c.accumulateValues(h, w, 0, nq, n, out, 0);
            for (int qi = 0; qi < nq; qi++) {
                for (int d = 0; d < D; d++) {
                    double want = 0;
                    double mag = 0;
                    for (int t = 0; t < n; t++) {
                        want += w[qi * n + t] * v[(t * HEADS + h) * D + d];
                        mag += Math.abs(w[qi * n + t]);
                    }
                    // quantization error per value is at most half a step of a range of about 5 sigma
                    assertThat((double) out[qi * D + d]).isCloseTo(want, org.assertj.core.data.Offset.offset(bound * mag / Math.sqrt(n) + 1e-6));
                }
            }
        }
    }

    @Test
    void builderMakesCommVQLayersWithTheModelsRopeLayout() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.INTERLEAVED);
        ModelGeometry model = new ModelGeometry("t", 3, 6, HEADS, D, 2048, rope, null);
        try (SequenceKVCache s = KVCacheBuilder.build(model, KVCacheConfig.of(KVCacheMethod.COMMVQ))) {
            assertThat(s.numLayers()).isEqualTo(3);
            assertThat(s.layer(0)).isInstanceOf(CommVQKVCache.class);
            assertThat(s.layer(0).keysBeforeRope()).isTrue();
            CommVQKVCache c = (CommVQKVCache) s.layer(0);
            assertThat(c.params().layout()).isEqualTo(RopeLayout.INTERLEAVED);
            assertThat(c.params().axisBits()).isEqualTo(4);
        }
    }
}
