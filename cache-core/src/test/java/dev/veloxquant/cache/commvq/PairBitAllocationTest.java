package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bits per RoPE pair from the pairs' importance: the greedy water-filling itself, the allocated code
 * layout (same bytes as the uniform one, every width through the vector path, equal to the scalar
 * reference and to q·RoPE_t(decode)), and the cache built with it.
 */
class PairBitAllocationTest {

    @Test
    void greedyGivesEachBitToTheLargestRemainingGain() {
        // start at one bit each; gains 64/4, 1/4, 1/4, 1/4: pair 0 takes bits until its gain 64·4^-4 = 0.25
        // ties pair 1's, then the tie goes to the lower pair; the cap is 2 × 2 = 4
        assertThat(PairBitAllocation.allocate(new float[] {64, 1, 1, 1}, 2)).containsExactly(4, 2, 1, 1);
        // pair 3 runs to the cap (8); the five bits left go round the equal pairs from the lowest
        assertThat(PairBitAllocation.allocate(new float[] {1, 1, 1, 1e6f}, 4)).containsExactly(3, 3, 2, 8);
        // 16x importance is worth two bits per axis (4^2)
        assertThat(PairBitAllocation.allocate(new float[] {16, 1}, 3)).containsExactly(4, 2);
    }

    @Test
    void keepsTheTotalAndTheBoundsAndIsMonotoneInImportance() {
        Random r = new Random(7);
        for (int mean = 1; mean <= 8; mean++) {
            for (int trial = 0; trial < 20; trial++) {
                float[] imp = new float[32];
                for (int i = 0; i < imp.length; i++) {
                    imp[i] = (float) Math.exp(r.nextGaussian() * 3);
                }
                int[] b = PairBitAllocation.allocate(imp, mean);
                assertThat(Arrays.stream(b).sum()).isEqualTo(32 * mean);
                for (int i = 0; i < b.length; i++) {
                    assertThat(b[i]).isBetween(1, Math.min(2 * mean, PairBitAllocation.MAX_AXIS_BITS));
                    for (int j = 0; j < b.length; j++) {
                        if (imp[i] > imp[j]) {
                            assertThat(b[i]).isGreaterThanOrEqualTo(b[j]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void staysUniformWhenThereIsNothingToGoBy() {
        assertThat(PairBitAllocation.allocate(new float[] {2, 2, 2, 2}, 4)).containsExactly(4, 4, 4, 4);
        assertThat(PairBitAllocation.allocate(new float[] {1, Float.NaN, 3, 4}, 2)).containsExactly(2, 2, 2, 2);
        assertThat(PairBitAllocation.allocate(new float[] {1, 0, 3, 4}, 2)).containsExactly(2, 2, 2, 2);
        assertThat(PairBitAllocation.allocate(new float[] {1, 100, 3, 4}, 9)).containsExactly(9, 9, 9, 9);
        assertThat(PairBitAllocation.allocate(new float[] {1, 100, 3, 4}, 1)).containsExactly(1, 1, 1, 1);
    }

    @Test
    void anAllocatedLayoutHoldsExactlyTheUniformBytes() {
        CommVQParams p = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32).paramsFor(64);
        int[] bits = new int[32];
        Arrays.fill(bits, 4);
        bits[0] = 8;
        bits[1] = 2;
        bits[2] = 2;
        PairLayout l = PairLayout.of(p, bits);
        assertThat(l.allocated()).isTrue();
        // pair 0: 32 tokens x 16 bits = 64 bytes; pairs 1, 2: 16 bytes; the rest 32 bytes each
        assertThat(l.offset(1)).isEqualTo(64);
        assertThat(l.offset(3)).isEqualTo(96);
        assertThat(l.offset(31) + 32).isEqualTo(p.blockCodeBytes());
        int[] even = new int[32];
        Arrays.fill(even, 4);
        assertThat(PairLayout.of(p, even).allocated()).isFalse();
        // 4 x 4 (16 bits per axis): wider than any allocated width, still the uniform layout
        CommVQParams wide = new CommVQQuantizer(4, 4, RopeLayout.HALF, 32).paramsFor(64);
        int[] sixteen = new int[32];
        Arrays.fill(sixteen, 16);
        assertThat(PairLayout.of(wide, sixteen).allocated()).isFalse();
    }

    @Test
    void rejectsWidthsThatDoNotFillTheBlock() {
        CommVQParams p = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32).paramsFor(64);
        int[] bits = new int[32];
        Arrays.fill(bits, 4);
        bits[0] = 5;
        assertThatThrownBy(() -> PairLayout.of(p, bits)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not fill");
        bits[0] = 0;
        assertThatThrownBy(() -> PairLayout.of(p, bits)).hasMessageContaining("1..12");
    }

    /** Random allocations of every mean width 1..8, widths 1..12 per axis (pair codes 2..24 bits). */
    private static int[] randomBits(Random r, int pairs, int mean) {
        float[] imp = new float[pairs];
        for (int i = 0; i < pairs; i++) {
            imp[i] = (float) Math.exp(r.nextGaussian() * 4);
        }
        return PairBitAllocation.allocate(imp, mean);
    }

    @Test
    void everyAllocatedWidthScoresThroughTheVectorPathLikeTheReference() {
        Random r = new Random(11);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int d : new int[] {64, 128}) {
                RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, layout);
                for (int group : new int[] {8, 16, 32, 128}) {
                    for (int[] br : new int[][] {{1, 2}, {2, 2}, {1, 3}, {3, 2}, {2, 4}, {1, 1}}) {
                        CommVQParams p = new CommVQQuantizer(br[0], br[1], layout, group).paramsFor(d);
                        PairLayout pl = PairLayout.of(p, randomBits(r, p.pairs(), p.axisBits()));
                        CodeScorer s = new CodeScorer(p, RopeTables.of(rope, group), pl);
                        if (pl.allocated()) {
                            // the fused pass wherever a block is two or more whole vectors, else the general one
                            assertThat(s.path(false)).isEqualTo(group >= 2 * CodeScorer.VL ? "allocated" : "general");
                        }
                        CodeScorerPathsTest.check(r, p, s, null, 3);
                    }
                }
            }
        }
    }

    @Test
    void allocatedWidthsWithCalibratedLevelsScoreLikeTheReference() {
        Random r = new Random(13);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int d : new int[] {64, 128}) {
                RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, layout);
                for (int group : new int[] {8, 32, 64}) {
                    for (int[] br : new int[][] {{1, 2}, {2, 2}, {1, 3}}) {
                        for (boolean shapeAll : new boolean[] {false, true}) {
                            CommVQCodebook cb = CommVQCodebookTest.allocated(br[0], br[1], layout, 1, 1, d, group,
                                    r.nextLong(), shapeAll);
                            CommVQParams p = new CommVQQuantizer(br[0], br[1], layout, group).paramsFor(d);
                            PairLayout pl = PairLayout.of(p, cb.pairBits(0, 0));
                            CodeScorer s = new CodeScorer(p, RopeTables.of(rope, group), pl);
                            CodeScorerPathsTest.check(r, p, s, cb.headTable(0, 0), 3);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aCalibratedCodebookBringsItsOwnWidthsToTheCache() {
        int heads = 2;
        int d = 64;
        RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, RopeLayout.HALF);
        CommVQParams p = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32).paramsFor(d);
        CommVQCodebook cb = CommVQCodebookTest.allocated(2, 2, RopeLayout.HALF, 2, heads, d, 32, 21, false);
        Random r = new Random(4);
        float[][] otherImportance = new float[heads][p.pairs()];
        for (float[] h : otherImportance) {
            java.util.Arrays.fill(h, 1f);
            h[3] = 1e4f;
        }
        CommVQKVCache c = new CommVQKVCache(heads, d, rope, p, 16, 16, 0, cb, 1, otherImportance);
        c.append(CommVQTestData.keys(r, 140, heads, d), 0, CommVQTestData.gaussian(r, 140 * heads * d), 0, 140);
        for (int h = 0; h < heads; h++) {
            assertThat(c.pairAxisBits(h)).isEqualTo(cb.pairBits(1, h));
            assertScoresAreRotatedDecodedKeys(c, h, rope, 2, r);
        }
        c.close();
    }

    @Test
    void encodingPicksTheNearestLevelOfEachPairsOwnGrid() {
        Random r = new Random(5);
        CommVQParams p = new CommVQQuantizer(1, 2, RopeLayout.HALF, 32).paramsFor(64);
        int[] bits = randomBits(r, p.pairs(), p.axisBits());
        PairLayout pl = PairLayout.of(p, bits);
        assertThat(pl.allocated()).isTrue();
        BlockCodec codec = new BlockCodec(p, pl);
        float[] keys = CommVQTestData.keys(r, 32, 1, 64);
        byte[] codes = new byte[p.blockCodeBytes()];
        short[] meta = new short[p.blockMetaShorts()];
        short[] norms = new short[32];
        codec.encode(keys, 0, 64, 32, codes, 0, meta, 0, norms, 0);
        float[] back = new float[32 * 64];
        codec.decode(codes, 0, meta, 0, norms, 0, 32, back, 0, 64);
        for (int q = 0; q < p.pairs(); q++) {
            int levels = pl.levels(q);
            for (int axis = 0; axis < 2; axis++) {
                float lo = axis == 0 ? codec.loX(meta, 0, q) : codec.loY(meta, 0, q);
                float st = axis == 0 ? codec.stepX(meta, 0, q) : codec.stepY(meta, 0, q);
                int dim = axis == 0 ? codec.firstDim(q) : codec.secondDim(q);
                for (int t = 0; t < 32; t++) {
                    float nf = Float.float16ToFloat(norms[t]);
                    float unit = keys[t * 64 + dim] / nf;
                    int c = pl.code(codes, 0, q, t);
                    int code = axis == 0 ? c & pl.axisMask(q) : c >>> pl.axisBits(q);
                    assertThat(code).isEqualTo(UniformGridFit.index(unit, lo, st, levels));
                    float want = UniformGridFit.value(UniformGridFit.base(lo, st), st, code) * nf;
                    assertThat(back[t * 64 + dim]).isEqualTo(want);
                }
            }
        }
    }

    @Test
    void theCacheUsesTheAllocationWithoutAByteMoreAndScoresMatchDecodedKeys() {
        int heads = 2;
        int d = 64;
        RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, RopeLayout.HALF);
        CommVQParams p = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32).paramsFor(d);
        Random r = new Random(3);
        float[][] imp = new float[heads][p.pairs()];
        for (float[] h : imp) {
            for (int i = 0; i < h.length; i++) {
                h[i] = (float) Math.exp(r.nextGaussian() * 2);
            }
        }
        CommVQKVCache plain = new CommVQKVCache(heads, d, rope, p, 32, 16, 0, null, 0, null);
        CommVQKVCache alloc = new CommVQKVCache(heads, d, rope, p, 32, 16, 0, null, 0, imp);
        float[] k = CommVQTestData.keys(r, 150, heads, d);
        float[] v = CommVQTestData.gaussian(r, 150 * heads * d);
        plain.append(k, 0, v, 0, 150);
        alloc.append(k, 0, v, 0, 150);
        CacheFootprint f = alloc.footprint();
        assertThat(f).isEqualTo(plain.footprint());
        for (int h = 0; h < heads; h++) {
            assertThat(alloc.pairAxisBits(h)).isEqualTo(PairBitAllocation.allocate(imp[h], 4));
            assertThat(plain.pairAxisBits(h)).containsOnly(4);
            assertScoresAreRotatedDecodedKeys(alloc, h, rope, 3, r);
        }
        plain.close();
        alloc.close();
    }

    @Test
    void theAllocationLowersTheImportanceWeightedKeyError() {
        // keys whose pairs differ 30-fold in spread; importance = spread²: the allocated layout must cut
        // Σ_p importance_p·|e_p|² well below the uniform layout's, at the same bytes
        int d = 64;
        RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, RopeLayout.HALF);
        CommVQParams p = new CommVQQuantizer(1, 2, RopeLayout.HALF, 32).paramsFor(d);
        Random r = new Random(9);
        float[] scale = new float[p.pairs()];
        float[][] imp = new float[1][p.pairs()];
        for (int i = 0; i < scale.length; i++) {
            scale[i] = (float) Math.pow(30, i / 31.0);
            imp[0][i] = scale[i] * scale[i];
        }
        int n = 160;
        float[] k = new float[n * d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < p.pairs(); i++) {
                k[t * d + i] = scale[i] * (float) r.nextGaussian();
                k[t * d + i + 32] = scale[i] * (float) r.nextGaussian();
            }
        }
        double[] err = new double[2];
        for (int a = 0; a < 2; a++) {
            CommVQKVCache c = new CommVQKVCache(1, d, rope, p, 0, 16, 0, null, 0, a == 0 ? null : imp);
            c.append(k, 0, new float[n * d], 0, n);
            float[] back = c.decodeKeys(0);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < p.pairs(); i++) {
                    double ex = back[t * d + i] - k[t * d + i];
                    double ey = back[t * d + i + 32] - k[t * d + i + 32];
                    err[a] += imp[0][i] * (ex * ex + ey * ey);
                }
            }
            c.close();
        }
        assertThat(err[1]).isLessThan(0.6 * err[0]);
    }

    /** Every score of {@code nq} random queries over the whole cache equals q·RoPE_t(decoded key) to float32 rounding. */
    private static void assertScoresAreRotatedDecodedKeys(CommVQKVCache c, int h, RotaryEmbedding rope, int nq, Random r) {
        int d = rope.headDim();
        int n = c.size();
        float[] dk = c.decodeKeys(h);
        float[] q = CommVQTestData.gaussian(r, nq * d);
        float[] out = new float[nq * n];
        c.scores(h, q, 0, nq, n, out, 0);
        for (int qi = 0; qi < nq; qi++) {
            for (int t = 0; t < n; t++) {
                assertThat((double) out[qi * n + t]).as("head %d query %d token %d", h, qi, t)
                        .isCloseTo(CommVQTestData.ropeDot(rope, q, qi * d, dk, t * d, t),
                                Offset.offset(CommVQTestData.tolerance(q, qi * d, dk, t * d, d)));
            }
        }
    }
}
