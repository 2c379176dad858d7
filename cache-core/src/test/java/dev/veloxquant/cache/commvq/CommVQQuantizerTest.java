package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.tensor.KVTensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommVQQuantizerTest {

    private static KVTensor keys(Random r, int batch, int heads, int seq, int d) {
        float[] data = new float[batch * heads * seq * d];
        for (int b = 0; b < batch; b++) {
            float[] k = CommVQTestData.keys(r, seq, heads, d); // [t][h][d]
            for (int t = 0; t < seq; t++) {
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(k, (t * heads + h) * d, data, ((b * heads + h) * seq + t) * d, d);
                }
            }
        }
        return new KVTensor(batch, heads, seq, d, data);
    }

    private static double relMse(KVTensor a, KVTensor b) {
        double e = 0;
        double n = 0;
        for (int i = 0; i < a.data().length; i++) {
            double d = a.data()[i] - b.data()[i];
            e += d * d;
            n += (double) a.data()[i] * a.data()[i];
        }
        return e / n;
    }

    @Test
    void moreBitsGiveLessErrorAndBitsAreCountedByHand() {
        Random r = new Random(1);
        KVTensor k = keys(r, 2, 2, 64, 64);
        double prev = Double.MAX_VALUE;
        for (int[] br : new int[][] {{1, 1}, {1, 2}, {2, 2}, {2, 3}, {4, 2}}) {
            CommVQQuantizer q = new CommVQQuantizer(br[0], br[1]);
            CommVQEncoded e = q.encode(k);
            double mse = relMse(k, q.decode(e));
            assertThat(mse).as("bits %d x %d", br[0], br[1]).isLessThan(prev);
            prev = mse;
            // codes + 4 fp16 per pair per block + an fp16 norm per token, for 2x2 slices of 2 blocks
            int axisBits = br[0] * br[1];
            long perSlice = 2L * (32 * 32 * 2 * axisBits / 8) + 2L * 32 * 4 * 2 + 64 * 2;
            assertThat(e.bytes()).isEqualTo(4 * perSlice);
            assertThat(e.bitsPerElement()).isCloseTo(axisBits + 1.0 + 0.25, org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(prev).isLessThan(1e-4);
    }

    @Test
    void fourBitKeysAreAccurateOnChannelStructuredKeys() {
        Random r = new Random(2);
        KVTensor k = keys(r, 1, 2, 256, 64);
        CommVQQuantizer q = new CommVQQuantizer(2, 2);
        double mse = relMse(k, q.decode(q.encode(k)));
        // a 16-level grid fitted to 32 samples: about range²/(12·16²) per element
        assertThat(mse).isLessThan(6e-3).isGreaterThan(1e-6);
        CommVQQuantizer plain = new CommVQQuantizer(2, 2, RopeLayout.HALF, 32, false);
        System.out.println("rel MSE 4-bit: norm " + mse + ", no norm " + relMse(k, plain.decode(plain.encode(k))));
    }

    @Test
    void handlesOneTokenPartialBlocksConstantsAndInterleavedPairs() {
        for (RopeLayout layout : RopeLayout.values()) {
            CommVQQuantizer q = new CommVQQuantizer(2, 2, layout, 32);
            Random r = new Random(3);
            KVTensor one = keys(r, 1, 1, 1, 64);
            KVTensor back = q.decode(q.encode(one));
            assertThat(relMse(one, back)).isLessThan(1e-5);
            KVTensor odd = keys(r, 1, 3, 45, 16);
            assertThat(relMse(odd, q.decode(q.encode(odd)))).isLessThan(5e-3);
            KVTensor zeros = KVTensor.zeros(1, 1, 40, 8);
            assertThat(q.decode(q.encode(zeros)).data()).containsOnly(0f);
        }
    }

    @Test
    void greedyStagesOverComplexCentresPickTheFineGridCell() {
        Random r = new Random(4);
        for (int bits = 1; bits <= 3; bits++) {
            for (int res = 1; res <= 3; res++) {
                int levels = 1 << (bits * res);
                float loX = -1.3f;
                float loY = 0.4f;
                float stX = 2.6f / levels;
                float stY = 1.1f / levels;
                for (int trial = 0; trial < 200; trial++) {
                    float x = loX + (float) (r.nextDouble() * 2.6);
                    float y = loY + (float) (r.nextDouble() * 1.1);
                    // Greedy: per stage, exhaustive search over the 2^(2·bits) complex centres θ_a + iθ_b.
                    double ex = x - loX;
                    double ey = y - loY;
                    int[] sa = new int[res];
                    int[] sb = new int[res];
                    double cellX = 2.6;
                    double cellY = 1.1;
                    for (int s = 0; s < res; s++) {
                        cellX /= 1 << bits;
                        cellY /= 1 << bits;
                        double best = Double.MAX_VALUE;
                        for (int a = 0; a < 1 << bits; a++) {
                            for (int b = 0; b < 1 << bits; b++) {
                                double cx = cellX * (a + 0.5);
                                double cy = cellY * (b + 0.5);
                                double dist = (ex - cx) * (ex - cx) + (ey - cy) * (ey - cy);
                                if (dist < best) {
                                    best = dist;
                                    sa[s] = a;
                                    sb[s] = b;
                                }
                            }
                        }
                        ex -= cellX * sa[s];
                        ey -= cellY * sb[s];
                    }
                    int ix = UniformGridFit.index(x, loX, stX, levels);
                    int iy = UniformGridFit.index(y, loY, stY, levels);
                    assertThat(BlockCodec.stageCodes(ix, bits, res)).as("x=%s", x).containsExactly(sa);
                    assertThat(BlockCodec.stageCodes(iy, bits, res)).as("y=%s", y).containsExactly(sb);
                }
            }
        }
    }

    @Test
    void gridFitNeverWorseThanMinMax() {
        Random r = new Random(5);
        float[] v = new float[32];
        short[] out = new short[2];
        for (int trial = 0; trial < 100; trial++) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * (1 + trial % 5) + (i == 3 ? 8 * r.nextGaussian() : 0));
            }
            for (int levels : new int[] {2, 4, 16}) {
                UniformGridFit.fit(v, v.length, levels, out, 0);
                float lo = Float.float16ToFloat(out[0]);
                float st = Float.float16ToFloat(out[1]);
                float mn = Float.POSITIVE_INFINITY;
                float mx = Float.NEGATIVE_INFINITY;
                for (float x : v) {
                    mn = Math.min(mn, x);
                    mx = Math.max(mx, x);
                }
                float mnR = Float.float16ToFloat(Float.floatToFloat16(mn));
                float stR = Float.float16ToFloat(Float.floatToFloat16((mx - mnR) / levels));
                assertThat(sse(v, lo, st, levels)).isLessThanOrEqualTo(sse(v, mnR, stR, levels) * 1.001 + 1e-9);
            }
        }
    }

    private static double sse(float[] v, float lo, float st, int levels) {
        double e = 0;
        float b = UniformGridFit.base(lo, st);
        for (float x : v) {
            double d = x - UniformGridFit.value(b, st, UniformGridFit.index(x, lo, st, levels));
            e += d * d;
        }
        return e;
    }

    @Test
    void rejectsBadSettingsNamingTheField() {
        assertThatThrownBy(() -> new CommVQQuantizer(5, 2)).isInstanceOf(InvalidKVCacheConfigException.class)
                .hasMessageContaining("bits").extracting("field").isEqualTo("bits");
        assertThatThrownBy(() -> new CommVQQuantizer(2, 0)).isInstanceOf(InvalidKVCacheConfigException.class)
                .extracting("field").isEqualTo("num_residuals");
        assertThatThrownBy(() -> new CommVQQuantizer(2, 2, RopeLayout.HALF, 12)).isInstanceOf(InvalidKVCacheConfigException.class)
                .extracting("field").isEqualTo("group_size");
    }
}
