package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class CodebookFitTest {
    private static final int G = 32;

    /** Blocks of heavy-tailed values (Laplace) with a drifting centre and scale: what a uniform grid codes worst. */
    private static float[] laplaceBlocks(Random r, int blocks) {
        float[] v = new float[blocks * G];
        for (int b = 0; b < blocks; b++) {
            double mu = r.nextGaussian() * 0.3;
            double s = 0.05 + 0.1 * r.nextDouble();
            for (int j = 0; j < G; j++) {
                double u = r.nextDouble() - 0.5;
                v[b * G + j] = (float) (mu - s * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
            }
        }
        return v;
    }

    @ParameterizedTest
    @CsvSource({"4", "16", "256"})
    void emNeverRaisesTheErrorAndBeatsTheUniformStart(int levels) {
        Random r = new Random(levels);
        float[] v = laplaceBlocks(r, 200);
        float[] w = new float[v.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.5 + r.nextDouble());
        }
        double[] sse = new double[13];
        double[] u = CodebookFit.fitAxis(v, w, G, levels, 12, sse);
        for (int it = 1; it < sse.length; it++) {
            assertThat(sse[it]).as("iteration %d", it).isLessThanOrEqualTo(sse[it - 1] * (1 + 1e-12));
        }
        if (levels < 256) {
            // with 256 levels for 32 values per block the uniform start is already near-exact
            assertThat(sse[12]).isLessThan(sse[0] * 0.97);
        }
        for (int i = 1; i < levels; i++) {
            assertThat(u[i]).isGreaterThanOrEqualTo(u[i - 1]);
        }
        assertThat(u[0]).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(u[levels - 1]).isCloseTo(levels - 0.5, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void calibratedCacheCodesHeldOutKeysOfTheSameKindBetterThanTheUniformGrid() {
        int d = 32;
        int heads = 2;
        RotaryEmbedding rope = RotaryEmbedding.standard(d, 10000, RopeLayout.HALF);
        Random r = new Random(11);
        float[] mean = new float[heads * d];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (r.nextGaussian() * 0.5);
        }
        // calibration and evaluation keys from one heavy-tailed distribution, different draws
        float[][][] cal = new float[1][heads][];
        for (int h = 0; h < heads; h++) {
            cal[0][h] = heavyKeys(r, 64 * G, d, mean, h);
        }
        CommVQCodebook cb = CodebookFit.fit(cal, d, RopeLayout.HALF, 1, 2, G, 10, s -> { });
        CommVQParams p = new CommVQQuantizer(1, 2, RopeLayout.HALF, G).paramsFor(d);
        CommVQKVCache plain = new CommVQKVCache(heads, d, rope, p, 0, 16);
        CommVQKVCache calibrated = new CommVQKVCache(heads, d, rope, p, 0, 16, 0, cb, 0);
        int n = 16 * G;
        float[] keys = new float[n * heads * d];
        for (int h = 0; h < heads; h++) {
            float[] k = heavyKeys(r, n, d, mean, h);
            for (int t = 0; t < n; t++) {
                System.arraycopy(k, t * d, keys, (t * heads + h) * d, d);
            }
        }
        float[] values = new float[keys.length];
        plain.append(keys, 0, values, 0, n);
        calibrated.append(keys, 0, values, 0, n);
        double ePlain = 0;
        double eCal = 0;
        for (int h = 0; h < heads; h++) {
            float[] a = plain.decodeKeys(h);
            float[] b = calibrated.decodeKeys(h);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < d; i++) {
                    double x = keys[(t * heads + h) * d + i];
                    ePlain += (a[t * d + i] - x) * (a[t * d + i] - x);
                    eCal += (b[t * d + i] - x) * (b[t * d + i] - x);
                }
            }
        }
        assertThat(eCal).isLessThan(ePlain * 0.98); // measured 0.966
        assertThat(calibrated.footprint()).isEqualTo(plain.footprint());
    }

    private static float[] heavyKeys(Random r, int n, int d, float[] mean, int h) {
        float[] k = new float[n * d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) {
                double u = r.nextDouble() - 0.5;
                k[t * d + i] = (float) (mean[h * d + i] - 0.3 * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
            }
        }
        return k;
    }
}
