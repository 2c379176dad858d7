package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every key code width (bits 1–4 × residuals 1–4), both RoPE layouts, head_dim 64 and 128, group
 * sizes 8..128, with and without a calibrated level table: the vector path equals the scalar
 * reference, partial ranges included, and never falls back to the scalar reference; and through the
 * cache every score equals q·RoPE_t(decode(code_t)) to float32 rounding (windows, prompt cuts).
 */
class CodeScorerPathsTest {

    static Stream<Arguments> widths() {
        List<Arguments> a = new ArrayList<>();
        for (int bits = 1; bits <= 4; bits++) {
            for (int res = 1; res <= 4; res++) {
                a.add(Arguments.of(bits, res));
            }
        }
        return a.stream();
    }

    private static float[] levels(CommVQParams p, long seed) {
        return CommVQCodebookTest.codebook(p.bits(), p.numResiduals(), p.layout(), 1, 1, p.headDim(), p.groupSize(), seed)
                .headTable(0, 0);
    }

    private static short[] meta(Random r, CommVQParams p, int blocks) {
        short[] meta = new short[blocks * p.blockMetaShorts()];
        for (int i = 0; i < meta.length; i++) {
            int row = (i % p.blockMetaShorts()) / p.pairs();
            if (p.compactSteps()) {
                meta[i] = row < 2 ? Float.floatToFloat16((float) r.nextGaussian() * 0.2f)
                        : (short) (160 + r.nextInt(90) | (160 + r.nextInt(90)) << 8);
            } else {
                meta[i] = Float.floatToFloat16((float) (row % 2 == 0 ? r.nextGaussian() : r.nextDouble() * 0.3));
            }
        }
        return meta;
    }

    @ParameterizedTest(name = "bits {0} x residuals {1}")
    @MethodSource("widths")
    void vectorPathEqualsScalarReferenceForEveryWidth(int bits, int res) {
        Random r = new Random(bits * 31 + res);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int d : new int[] {64, 128}) {
                RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, layout);
                for (int group : new int[] {8, 16, 32, 128}) {
                    if (d == 128 && group != 32) {
                        continue;
                    }
                    for (boolean compact : new boolean[] {true, false}) {
                        CommVQParams p = new CommVQQuantizer(bits, res, layout, group, true, compact).paramsFor(d);
                        CodeScorer s = new CodeScorer(p, RopeTables.of(rope, group));
                        // no silent scalar fallback on this machine
                        assertThat(s.vectorized()).isTrue();
                        assertThat(s.path(false)).isNotEqualTo("scalar");
                        assertThat(s.path(true)).isNotEqualTo("scalar");
                        boolean withLevels = compact && (group == 32 || group == 8);
                        float[] lv = withLevels ? levels(p, group + bits * 7L + res) : null;
                        check(r, p, s, null, 3);
                        if (lv != null) {
                            check(r, p, s, lv, 3);
                        }
                    }
                }
            }
        }
    }

    static void check(Random r, CommVQParams p, CodeScorer s, float[] lv, int blocks) {
        int g = p.groupSize();
        int d = p.headDim();
        byte[] codes = new byte[blocks * p.blockCodeBytes()];
        r.nextBytes(codes);
        short[] meta = meta(r, p, blocks);
        short[] norms = new short[blocks * g];
        for (int i = 0; i < norms.length; i++) {
            norms[i] = Float.floatToFloat16((float) (0.5 + r.nextDouble() * 3));
        }
        int n = blocks * g;
        // decoded keys (pre-RoPE, norms applied) give each token's float32 rounding bound
        float[] k = new float[n * d];
        BlockCodec codec = new BlockCodec(p, s.layout());
        for (int b = 0; b < blocks; b++) {
            codec.decode(codes, b * p.blockCodeBytes(), meta, b * p.blockMetaShorts(), norms, b * g, g, k, b * g * d, d, lv);
        }
        for (int nq : new int[] {1, 3, 5}) {
            float[] q = CommVQTestData.gaussian(r, nq * d);
            float[] fast = new float[nq * n];
            float[] ref = new float[nq * n];
            s.scoreBlocks(codes, meta, norms, blocks, q, 0, nq, fast, 0, n, lv);
            s.scoreTokensScalar(codes, meta, norms, 0, n, q, 0, nq, ref, 0, n, lv);
            assertClose(fast, ref, n, q, k, p, lv, nq, "whole");
            // cut ranges: inside one block, across blocks, ending inside a block
            for (int[] cut : new int[][] {{1, g - 1}, {g / 2, 2 * g + 3}, {0, n - 5}, {g, 2 * g}}) {
                int from = cut[0];
                int to = Math.min(cut[1], n);
                float[] a = new float[nq * to];
                float[] b = new float[nq * to];
                s.scoreTokens(codes, meta, norms, from, to, q, 0, nq, a, 0, to, lv);
                s.scoreTokensScalar(codes, meta, norms, from, to, q, 0, nq, b, 0, to, lv);
                assertClose(a, b, to, q, k, p, lv, nq, "cut " + from + ".." + to);
            }
        }
    }

    private static void assertClose(float[] fast, float[] ref, int stride, float[] q, float[] k, CommVQParams p,
                                    float[] lv, int nq, String what) {
        int d = p.headDim();
        for (int i = 0; i < ref.length; i++) {
            int qi = i / stride;
            int t = i % stride;
            double tol = CommVQTestData.tolerance(q, qi * d, k, t * d, d);
            assertThat((double) fast[i]).as("%s %s levels %s nq %d i %d", what, p, lv != null, nq, i)
                    .isCloseTo(ref[i], Offset.offset(tol));
        }
    }

    @ParameterizedTest(name = "bits {0} x residuals {1}")
    @MethodSource("widths")
    void scoresEqualRotatedDecodedKeysForEveryWidth(int bits, int res) {
        int heads = 2;
        for (RopeLayout layout : RopeLayout.values()) {
            for (int[] gw : new int[][] {{32, 16}, {8, 0}, {16, 4}}) {
                for (boolean calibrated : new boolean[] {false, true}) {
                    int d = gw[0] == 32 && layout == RopeLayout.HALF ? 128 : 64;
                    RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, layout);
                    CommVQParams p = new CommVQQuantizer(bits, res, layout, gw[0]).paramsFor(d);
                    CommVQCodebook cb = calibrated && bits * res <= 12
                            ? CommVQCodebookTest.codebook(bits, res, layout, 1, heads, d, gw[0], bits * 10L + res) : null;
                    CommVQKVCache c = new CommVQKVCache(heads, d, rope, p, gw[1], 16, 0, cb, 0);
                    Random r = new Random(bits * 100 + res * 10 + gw[0]);
                    c.append(CommVQTestData.keys(r, 90, heads, d), 0, CommVQTestData.gaussian(r, 90 * heads * d), 0, 90);
                    for (int t = 0; t < 7; t++) {
                        c.append(CommVQTestData.keys(r, 1, heads, d), 0, CommVQTestData.gaussian(r, heads * d), 0, 1);
                    }
                    assertThat(c.encodedTokens()).isGreaterThan(0);
                    int nq = 3;
                    float[] q = CommVQTestData.gaussian(r, nq * d);
                    for (int h = 0; h < heads; h++) {
                        float[] k = c.decodeKeys(h);
                        for (int upTo : new int[] {c.size(), c.size() - 5, c.encodedTokens() - 3, 1}) {
                            float[] out = new float[nq * upTo];
                            c.scores(h, q, 0, nq, upTo, out, 0);
                            for (int qi = 0; qi < nq; qi++) {
                                for (int t = 0; t < upTo; t++) {
                                    double want = CommVQTestData.ropeDot(rope, q, qi * d, k, t * d, t);
                                    assertThat((double) out[qi * upTo + t])
                                            .as("%s cal %s head %d query %d token %d of %d", p, cb != null, h, qi, t, upTo)
                                            .isCloseTo(want, Offset.offset(CommVQTestData.tolerance(q, qi * d, k, t * d, d)));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void fastPathStaysOnTheWidthsItCovered() {
        RotaryEmbedding rope = RotaryEmbedding.standard(64, 10000, RopeLayout.HALF);
        for (int[] br : new int[][] {{2, 2}, {1, 2}, {2, 1}, {4, 1}, {1, 4}}) {
            CommVQParams p = new CommVQQuantizer(br[0], br[1], RopeLayout.HALF, 32).paramsFor(64);
            CodeScorer s = new CodeScorer(p, RopeTables.of(rope, 32));
            boolean fits = 32 / p.codesPerByte() % CodeScorer.VL == 0 && 32 / CodeScorer.VL >= 2;
            assertThat(s.path(false)).as("%dx%d", br[0], br[1]).isEqualTo(fits ? "fast" : "general");
        }
    }
}
