package dev.veloxquant.cache.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static dev.veloxquant.cache.simd.Fp16KernelsTest.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class SoftmaxAndMatVecTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 33, 512, 1000})
    void vectorSoftmaxMatchesScalarAndSumsToOne(int n) {
        float[] a = gaussian(new Random(n), n + 2);
        for (int i = 0; i < a.length; i++) {
            a[i] *= 20;
        }
        float[] b = a.clone();
        Softmax.inPlaceVector(a, 2, n, 0.125f);
        Softmax.inPlaceScalar(b, 2, n, 0.125f);
        double sum = 0;
        for (int i = 2; i < n + 2; i++) {
            assertThat(a[i]).isCloseTo(b[i], offset(1e-6f + 1e-5f * b[i]));
            sum += a[i];
        }
        assertThat(sum).isCloseTo(1.0, offset(1e-5));
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 64, 128})
    void vectorMatVecMatchesScalar(int n) {
        Random rnd = new Random(n);
        float[] m = gaussian(rnd, n * n);
        float[] x = gaussian(rnd, n + 3);
        float[] y1 = new float[n];
        float[] y2 = new float[n];
        Simd.setEnabled(true);
        MatVec.multiply(m, n, x, 3, y1, 0);
        MatVec.multiplyScalar(m, n, x, 3, y2, 0);
        for (int i = 0; i < n; i++) {
            assertThat(y1[i]).isCloseTo(y2[i], offset(1e-4f * n));
        }
        MatVec.multiplyTransposed(m, n, x, 3, y1, 0);
        MatVec.multiplyTransposedScalar(m, n, x, 3, y2, 0);
        for (int i = 0; i < n; i++) {
            assertThat(y1[i]).isCloseTo(y2[i], offset(1e-4f * n));
        }
    }
}
