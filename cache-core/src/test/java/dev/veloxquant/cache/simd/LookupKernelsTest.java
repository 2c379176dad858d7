package dev.veloxquant.cache.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.veloxquant.cache.simd.Fp16KernelsTest.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class LookupKernelsTest {

    @ParameterizedTest
    @CsvSource({"64,2,2,3,100", "64,1,1,1,40", "64,4,1,4,70", "64,3,2,2,33", "128,2,4,5,150", "128,4,2,8,129", "64,1,3,3,20"})
    void fastValueSumsMatchDecodeThenSum(int dim, int bits, int stages, int nq, int tokens) {
        Random rnd = new Random(dim + bits * 5 + stages * 17 + nq);
        int stride = stages * PackedCodes.rowBytes(dim, bits);
        byte[] codes = new byte[tokens * stride];
        rnd.nextBytes(codes);
        float[] tables = new float[stages * LookupKernels.TABLE_STRIDE];
        for (int i = 0; i < tables.length; i++) {
            tables[i] = (float) rnd.nextGaussian();
        }
        short[] alpha = new short[tokens];
        for (int t = 0; t < tokens; t++) {
            alpha[t] = Float.floatToFloat16(0.5f + rnd.nextFloat());
        }
        float[] w = gaussian(rnd, nq * tokens);
        float[] accFast = gaussian(rnd, nq * dim);
        float[] accRef = accFast.clone();
        LookupKernels.accumulate(codes, 0, stages, bits, dim, tables, alpha, 0, tokens, w, 0, tokens, nq, accFast, 0);
        LookupKernels.accumulateScalar(codes, 0, stages, bits, dim, tables, alpha, 0, tokens, w, 0, tokens, nq, accRef, 0);
        for (int i = 0; i < accFast.length; i++) {
            assertThat(accFast[i]).isCloseTo(accRef[i], offset(1e-4f * tokens + 1e-5f * Math.abs(accRef[i])));
        }
    }
}

class LookupBlockKernelsTest {
    @ParameterizedTest
    @CsvSource({"64,2,2,3,100", "64,1,1,1,40", "64,4,1,4,70", "64,3,2,2,33", "128,2,4,5,150", "128,4,2,8,129", "64,3,3,3,16"})
    void blockScoresMatchDecodeThenDot(int dim, int bits, int stages, int nq, int tokens) {
        Random rnd = new Random(dim + bits * 5 + stages * 17 + nq);
        byte[] codes = new byte[((tokens + 15) / 16) * StageBlockCodes.blockBytes(dim, bits, stages)];
        int[][][] want = new int[tokens][stages][dim];
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < stages; s++) {
                for (int d = 0; d < dim; d++) {
                    want[t][s][d] = rnd.nextInt(1 << bits);
                    StageBlockCodes.put(codes, 0, dim, bits, stages, t, s, d, want[t][s][d]);
                }
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int s = 0; s < stages; s++) {
                for (int d = 0; d < dim; d++) {
                    assertThat(StageBlockCodes.get(codes, 0, dim, bits, stages, t, s, d)).isEqualTo(want[t][s][d]);
                }
            }
        }
        float[] tables = new float[stages * LookupKernels.TABLE_STRIDE];
        for (int i = 0; i < tables.length; i++) {
            tables[i] = (float) rnd.nextGaussian();
        }
        short[] alpha = new short[tokens];
        for (int t = 0; t < tokens; t++) {
            alpha[t] = Float.floatToFloat16(0.5f + rnd.nextFloat());
        }
        float[] q = gaussian(rnd, nq * dim);
        float[] fast = new float[nq * tokens];
        float[] ref = new float[nq * tokens];
        LookupKernels.blockScores(codes, 0, stages, bits, dim, tables, alpha, tokens, q, 0, nq, fast, 0, tokens);
        LookupKernels.blockScoresScalar(codes, 0, stages, bits, dim, tables, alpha, tokens, q, 0, nq, ref, 0, tokens);
        for (int i = 0; i < fast.length; i++) {
            assertThat(fast[i]).isCloseTo(ref[i], offset(1e-4f * dim + 1e-5f * Math.abs(ref[i])));
        }
    }
}
