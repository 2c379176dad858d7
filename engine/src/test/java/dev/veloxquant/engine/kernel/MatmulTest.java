package dev.veloxquant.engine.kernel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Vector API matmuls against their scalar references, for every dtype, odd shapes and batch sizes. */
class MatmulTest {

    @ParameterizedTest
    @CsvSource({
            "BF16, 64, 96, 1", "BF16, 37, 384, 2", "BF16, 13, 50, 3", "BF16, 128, 1000, 5", "BF16, 3, 31, 4",
            "F16, 64, 96, 1", "F16, 37, 77, 3",
            "F32, 64, 96, 1", "F32, 37, 77, 3", "F32, 5, 8, 2"})
    void fastPathMatchesScalarReference(String dtype, int rows, int cols, int tokens) {
        Random rnd = new Random(rows * 31L + cols);
        try (Arena arena = Arena.ofShared()) {
            int width = dtype.equals("F32") ? 4 : 2;
            MemorySegment seg = arena.allocate((long) rows * cols * width);
            for (long i = 0; i < (long) rows * cols; i++) {
                float v = (float) rnd.nextGaussian();
                switch (dtype) {
                    case "BF16" -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                    case "F16" -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                    default -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                }
            }
            Matrix m = switch (dtype) {
                case "BF16" -> new Bf16Matrix(seg, rows, cols);
                case "F16" -> new F16Matrix(seg, rows, cols);
                default -> new F32Matrix(seg, rows, cols);
            };
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] fast = new float[tokens * rows];
            float[] ref = new float[tokens * rows];
            try (Parallel par = new Parallel(2)) {
                Matmul.multiply(par, x, tokens, m, fast);
            }
            Matmul.reference(x, tokens, m, ref);
            for (int i = 0; i < ref.length; i++) {
                // Sums of `cols` products of N(0,1) terms: summation order alone moves the result by ~1e-6 * sqrt(cols).
                assertThat(fast[i]).as("element %d", i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-4f * (float) Math.sqrt(cols)));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "2", "3"})
    void fusedMatricesEachGetTheirOwnProduct(int tokens) {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared(); Parallel par = new Parallel(2)) {
            Matrix a = bf16(arena, rnd, 48, 64);
            Matrix b = bf16(arena, rnd, 16, 64);
            float[] x = new float[tokens * 64];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] ya = new float[tokens * 48];
            float[] yb = new float[tokens * 16];
            Matmul.multiply(par, x, tokens, new Matrix[]{a, b}, new float[][]{ya, yb});
            float[] ra = new float[ya.length];
            float[] rb = new float[yb.length];
            Matmul.reference(x, tokens, a, ra);
            Matmul.reference(x, tokens, b, rb);
            assertThat(ya).containsExactly(ra, org.assertj.core.data.Offset.offset(1e-3f));
            assertThat(yb).containsExactly(rb, org.assertj.core.data.Offset.offset(1e-3f));
        }
    }

    private static Matrix bf16(Arena arena, Random rnd, int rows, int cols) {
        MemorySegment seg = arena.allocate((long) rows * cols * 2);
        for (long i = 0; i < (long) rows * cols; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
        }
        return new Bf16Matrix(seg, rows, cols);
    }
}
