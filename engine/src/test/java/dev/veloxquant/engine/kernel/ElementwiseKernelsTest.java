package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** RMSNorm, softmax, SwiGLU, RoPE and dot: Vector API paths against their scalar references. */
class ElementwiseKernelsTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 64, 100, 384, 1000})
    void rmsNormMatchesReference(int n) {
        Random r = new Random(n);
        float[] x = gaussian(r, n, 3f);
        float[] w = gaussian(r, n, 1f);
        float[] fast = new float[n + 3];
        float[] ref = new float[n + 3];
        RmsNorm.apply(x, 0, w, 1e-5f, fast, 3, n);
        RmsNorm.reference(x, 0, w, 1e-5f, ref, 3, n);
        assertThat(fast).containsExactly(ref, offset(1e-5f));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 33, 257, 2048})
    void softmaxMatchesReference(int n) {
        Random r = new Random(n);
        float[] x = gaussian(r, n + 2, 8f);
        float[] y = x.clone();
        Softmax.apply(x, 2, n, 0.125f);
        Softmax.reference(y, 2, n, 0.125f);
        assertThat(x).containsExactly(y, offset(1e-6f));
        double sum = 0;
        for (int i = 2; i < n + 2; i++) {
            sum += x[i];
        }
        assertThat(sum).isCloseTo(1.0, offset(1e-5));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 64, 1024, 1030})
    void swiGluMatchesReference(int n) {
        Random r = new Random(n);
        float[] g = gaussian(r, n, 4f);
        float[] u = gaussian(r, n, 1f);
        float[] g2 = g.clone();
        SwiGlu.apply(g, u, n);
        SwiGlu.reference(g2, u, n);
        for (int i = 0; i < n; i++) {
            assertThat(g[i]).isCloseTo(g2[i], offset(1e-5f * Math.max(1f, Math.abs(g2[i]))));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HALF:64", "HALF:128", "HALF:24", "INTERLEAVED:64", "INTERLEAVED:32"})
    void ropeMatchesCacheCoreRotation(String spec) {
        RopeLayout layout = RopeLayout.valueOf(spec.split(":")[0]);
        int hd = Integer.parseInt(spec.split(":")[1]);
        RotaryEmbedding emb = RotaryEmbedding.standard(hd, 500000.0, layout);
        Rope rope = new Rope(emb);
        Random r = new Random(hd);
        int heads = 3;
        float[] cos = new float[hd / 2];
        float[] sin = new float[hd / 2];
        for (int pos : new int[]{0, 1, 17, 1999}) {
            float[] v = gaussian(r, heads * hd + 5, 1f);
            float[] ref = v.clone();
            rope.cosSin(pos, cos, sin);
            rope.rotate(v, 5, heads, cos, sin);
            for (int h = 0; h < heads; h++) {
                emb.rotate(ref, 5 + h * hd, pos);
            }
            assertThat(v).containsExactly(ref, offset(1e-5f));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 16, 31, 64, 333})
    void dotMatchesReference(int n) {
        Random r = new Random(n);
        float[] a = gaussian(r, n + 1, 1f);
        float[] b = gaussian(r, n + 2, 1f);
        assertThat(VectorMath.dot(a, 1, b, 2, n)).isCloseTo(VectorMath.referenceDot(a, 1, b, 2, n), offset(1e-4f));
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * std;
        }
        return x;
    }
}
