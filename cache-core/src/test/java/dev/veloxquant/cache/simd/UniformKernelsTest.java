package dev.veloxquant.cache.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.veloxquant.cache.simd.Fp16KernelsTest.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class UniformKernelsTest {

    @ParameterizedTest
    @CsvSource({"64,2,1,32,100", "64,4,3,32,70", "64,8,4,32,64", "128,4,5,64,200", "128,2,8,16,33", "64,4,2,8,9", "64,2,3,16,40"})
    void foldedKeyScoresMatchDequantizeThenDot(int headDim, int bits, int nq, int groupSize, int tokens) {
        Random rnd = new Random(headDim + bits * 7 + nq);
        int groups = (tokens + groupSize - 1) / groupSize;
        byte[] codes = new byte[groups * TokenBlockCodes.bytes(groupSize, headDim, bits)];
        rnd.nextBytes(codes);
        short[] scale = halves(rnd, groups * headDim, 0.3f, true);
        short[] zero = halves(rnd, groups * headDim, 2f, false);
        float[] q = gaussian(rnd, nq * headDim);
        float[] fast = new float[nq * tokens];
        float[] ref = new float[nq * tokens];
        UniformKernels.keyScores(codes, 0, headDim, bits, groupSize, tokens, scale, zero, 0, q, 0, nq, fast, 0, tokens);
        UniformKernels.keyScoresScalar(codes, 0, headDim, bits, groupSize, tokens, scale, zero, 0, q, 0, nq, ref, 0, tokens);
        for (int i = 0; i < fast.length; i++) {
            assertThat(fast[i]).isCloseTo(ref[i], offset(1e-3f * (1 << bits) + 1e-5f * Math.abs(ref[i])));
        }
    }

    @ParameterizedTest
    @CsvSource({"64,2,1,32,100", "64,4,3,32,300", "64,8,4,16,64", "128,4,5,32,200", "128,2,8,64,33"})
    void valueAccumulationMatchesDequantizeThenSum(int headDim, int bits, int nq, int cg, int tokens) {
        Random rnd = new Random(headDim * 3 + bits + nq);
        int rb = PackedCodes.rowBytes(headDim, bits);
        byte[] codes = new byte[tokens * rb];
        rnd.nextBytes(codes);
        int groups = headDim / cg;
        short[][] scale = new short[groups][];
        short[][] zero = new short[groups][];
        for (int g = 0; g < groups; g++) {
            scale[g] = halves(rnd, tokens, 0.3f, true);
            zero[g] = halves(rnd, tokens, 2f, false);
        }
        float[] w = gaussian(rnd, nq * tokens);
        float[] fast = gaussian(rnd, nq * headDim);
        float[] ref = fast.clone();
        UniformKernels.valueAccumulate(codes, 0, headDim, bits, cg, scale, zero, 0, tokens, w, 0, tokens, nq, fast, 0);
        UniformKernels.valueAccumulateScalar(codes, 0, headDim, bits, cg, scale, zero, 0, tokens, w, 0, tokens, nq, ref, 0);
        for (int i = 0; i < fast.length; i++) {
            assertThat(fast[i]).isCloseTo(ref[i], offset(1e-4f * tokens * (1 << bits) * 0.3f + 1e-5f * Math.abs(ref[i])));
        }
    }

    static short[] halves(Random rnd, int n, float scale, boolean positive) {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
            float x = (float) rnd.nextGaussian() * scale;
            a[i] = Float.floatToFloat16(positive ? Math.abs(x) : x);
        }
        return a;
    }
}

class TokenBlockCodesTest {
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"2,32,64", "4,16,64", "8,32,128", "4,8,64"})
    void putThenGetReturnsEveryCodeAndTheBlockIsExactlyBitsPerCode(int bits, int tokens, int dim) {
        Random rnd = new Random(bits + tokens);
        int[][] codes = new int[tokens][dim];
        byte[] block = new byte[TokenBlockCodes.bytes(tokens, dim, bits)];
        assertThat(block.length * 8).isEqualTo(tokens * dim * bits);
        int tb = TokenBlockCodes.subBlock(tokens);
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < dim; d++) {
                codes[t][d] = rnd.nextInt(1 << bits);
                TokenBlockCodes.put(block, 0, tb, dim, bits, t, d, codes[t][d]);
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < dim; d++) {
                assertThat(TokenBlockCodes.get(block, 0, tb, dim, bits, t, d)).isEqualTo(codes[t][d]);
            }
        }
    }
}
