package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Attention from calibrated codes: score == q·RoPE_t(decode(code)), vector path == scalar reference. */
class CalibratedScoringTest {
    private static final int HEADS = 2;
    private static final int D = 64;

    @ParameterizedTest
    @CsvSource({"2,2,32,32,HALF,3", "1,2,32,0,HALF,4", "2,2,32,0,INTERLEAVED,2", "2,1,16,8,HALF,1", "1,1,32,0,HALF,6",
            "2,3,8,4,HALF,2", "2,2,64,0,HALF,5"})
    void scoresFromCalibratedCodesEqualRotatedDecodedKeys(int bits, int res, int group, int window, RopeLayout layout, int nq) {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, layout);
        CommVQCodebook cb = CommVQCodebookTest.codebook(bits, res, layout, 3, HEADS, D, group, bits * 10L + res);
        CommVQParams p = new CommVQQuantizer(bits, res, layout, group).paramsFor(D);
        CommVQKVCache c = new CommVQKVCache(HEADS, D, rope, p, window, 16, 0, cb, 2);
        Random r = new Random(bits * 100 + res * 10 + group);
        c.append(CommVQTestData.keys(r, 150, HEADS, D), 0, CommVQTestData.gaussian(r, 150 * HEADS * D), 0, 150);
        for (int t = 0; t < 40; t++) {
            c.append(CommVQTestData.keys(r, 1, HEADS, D), 0, CommVQTestData.gaussian(r, HEADS * D), 0, 1);
        }
        assertThat(c.encodedTokens()).isGreaterThan(0);
        float[] q = CommVQTestData.gaussian(r, nq * D);
        for (int h = 0; h < HEADS; h++) {
            float[] k = c.decodeKeys(h);
            for (int upTo : new int[] {c.size(), c.size() - 7, 33}) {
                float[] out = new float[nq * upTo];
                c.scores(h, q, 0, nq, upTo, out, 0);
                for (int qi = 0; qi < nq; qi++) {
                    for (int t = 0; t < upTo; t++) {
                        double want = CommVQTestData.ropeDot(rope, q, qi * D, k, t * D, t);
                        assertThat((double) out[qi * upTo + t]).as("head %d query %d token %d", h, qi, t)
                                .isCloseTo(want, org.assertj.core.data.Offset.offset(
                                        CommVQTestData.tolerance(q, qi * D, k, t * D, D)));
                    }
                }
            }
        }
    }

    @Test
    void decodedCalibratedKeysSitOnTheCalibratedLevels() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.HALF);
        CommVQCodebook cb = CommVQCodebookTest.codebook(2, 2, RopeLayout.HALF, 1, HEADS, D, 32, 9);
        CommVQParams p = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32).paramsFor(D);
        CommVQKVCache cal = new CommVQKVCache(HEADS, D, rope, p, 0, 16, 0, cb, 0);
        CommVQKVCache plain = new CommVQKVCache(HEADS, D, rope, p, 0, 16);
        Random r = new Random(3);
        float[] keys = CommVQTestData.keys(r, 64, HEADS, D);
        float[] values = new float[keys.length];
        cal.append(keys, 0, values, 0, 64);
        plain.append(keys, 0, values, 0, 64);
        // the codebook changes what is decoded (so it is really used) but not the bytes held
        assertThat(cal.decodeKeys(1)).isNotEqualTo(plain.decodeKeys(1));
        assertThat(cal.footprint()).isEqualTo(plain.footprint());
        double err = 0;
        double ref = 0;
        float[] k = cal.decodeKeys(1);
        for (int t = 0; t < 64; t++) {
            for (int i = 0; i < D; i++) {
                double x = keys[(t * HEADS + 1) * D + i];
                err += (k[t * D + i] - x) * (k[t * D + i] - x);
                ref += x * x;
            }
        }
        assertThat(err / ref).isLessThan(0.01);
    }

    @Test
    void vectorPathWithLevelsEqualsScalarReference() {
        RotaryEmbedding rope = RotaryEmbedding.standard(D, 10000, RopeLayout.HALF);
        Random r = new Random(8);
        for (int[] br : new int[][] {{2, 2}, {1, 2}, {2, 1}, {1, 1}}) {
            for (int group : new int[] {32, 64}) {
                CommVQParams p = new CommVQQuantizer(br[0], br[1], RopeLayout.HALF, group).paramsFor(D);
                CodeScorer s = new CodeScorer(p, RopeTables.of(rope, group));
                float[] lv = CommVQCodebookTest.codebook(br[0], br[1], RopeLayout.HALF, 1, 1, D, group, group).headTable(0, 0);
                int blocks = 4;
                byte[] codes = new byte[blocks * p.blockCodeBytes()];
                r.nextBytes(codes);
                short[] meta = new short[blocks * p.blockMetaShorts()];
                for (int i = 0; i < meta.length; i++) {
                    int row = (i % p.blockMetaShorts()) / p.pairs();
                    meta[i] = row < 2 ? Float.floatToFloat16((float) r.nextGaussian() * 0.2f)
                            : (short) (160 + r.nextInt(90) | (160 + r.nextInt(90)) << 8);
                }
                short[] norms = new short[blocks * group];
                for (int i = 0; i < norms.length; i++) {
                    norms[i] = Float.floatToFloat16((float) (0.5 + r.nextDouble() * 3));
                }
                for (int nq : new int[] {1, 3, 4, 6}) {
                    float[] q = CommVQTestData.gaussian(r, nq * D);
                    float[] fast = new float[nq * blocks * group];
                    float[] ref = new float[nq * blocks * group];
                    float[] uniform = new float[nq * blocks * group];
                    s.scoreBlocks(codes, meta, norms, blocks, q, 0, nq, fast, 0, blocks * group, lv);
                    s.scoreTokensScalar(codes, meta, norms, 0, blocks * group, q, 0, nq, ref, 0, blocks * group, lv);
                    s.scoreBlocks(codes, meta, norms, blocks, q, 0, nq, uniform, 0, blocks * group);
                    assertThat(fast).isNotEqualTo(uniform);
                    for (int i = 0; i < ref.length; i++) {
                        assertThat(fast[i]).as("bits %dx%d group %d nq %d i %d", br[0], br[1], group, nq, i)
                                .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(2e-5f * (1 + Math.abs(ref[i]))));
                    }
                }
                int vl = CodeScorer.VL;
                if (vl == 16) {
                    // AVX-512: every table up to 16 levels fits one vector, so the fast path is the vector one
                    assertThat(s.vectorizedLevels()).as("bits %dx%d group %d", br[0], br[1], group)
                            .isEqualTo(s.vectorized());
                }
            }
        }
    }
}
