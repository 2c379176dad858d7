package dev.veloxquant.cache.simd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Fp16KernelsTest {

    @Test
    void vectorHalfConversionIsExactForEveryHalf() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.NARROW_OK, "no half vectors at " + Simd.L + " lanes");
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        float[] got = new float[Simd.L];
        for (int off = 0; off < all.length; off += Simd.L) {
            Simd.halfToFloat(all, off).intoArray(got, 0);
            for (int i = 0; i < Simd.L; i++) {
                float want = Float.float16ToFloat(all[off + i]);
                if (Float.isNaN(want)) {
                    assertThat(got[i]).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(got[i])).as("half 0x%04x", off + i).isEqualTo(Float.floatToRawIntBits(want));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"64,1,37", "64,3,129", "64,4,300", "128,5,77", "128,8,256", "32,2,10"})
    void vectorScoresAndValuesMatchScalarReference(int headDim, int nq, int tokens) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.NARROW_OK && headDim % Simd.L == 0, "no half vectors at " + Simd.L + " lanes");
        Random rnd = new Random(headDim * 31 + nq);
        short[] rows = new short[(tokens + 3) * headDim];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Float.floatToFloat16((float) rnd.nextGaussian() * 2f);
        }
        float[] q = gaussian(rnd, nq * headDim);
        int kOff = 3 * headDim;
        float[] fast = new float[nq * tokens];
        float[] ref = new float[nq * tokens];
        Fp16Kernels.scoresVector(rows, kOff, tokens, headDim, q, 0, nq, fast, 0, tokens);
        Fp16Kernels.scoresScalar(rows, kOff, tokens, headDim, q, 0, nq, ref, 0, tokens);
        assertClose(fast, ref, 1e-4f * headDim);

        float[] w = gaussian(rnd, nq * tokens);
        float[] accFast = gaussian(rnd, nq * headDim);
        float[] accRef = accFast.clone();
        Fp16Kernels.accumulateVector(rows, kOff, tokens, headDim, w, 0, tokens, nq, accFast, 0);
        Fp16Kernels.accumulateScalar(rows, kOff, tokens, headDim, w, 0, tokens, nq, accRef, 0);
        assertClose(accFast, accRef, 1e-4f * tokens);
    }

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    static void assertClose(float[] got, float[] want, float scaleTol) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).as("element %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(scaleTol * 1e-2f + 1e-5f * Math.abs(want[i])));
        }
    }
}
