package dev.veloxquant.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * fp16 weights read from the mapped file; each row is widened once into a scratch buffer and then
 * used for every token of the batch.
 */
public final class F16Matrix implements Matrix {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final MemorySegment w;
    private final int rows;
    private final int cols;

    public F16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) {
            throw new IllegalArgumentException("f16 matrix " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        }
        this.w = w;
        this.rows = rows;
        this.cols = cols;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public float[] prepareInput(float[] x, int tokens) {
        return x;
    }

    @Override
    public void multiplyRows(float[] x, int tokens, float[] y, int r0, int r1) {
        float[] row = new float[cols];
        for (int r = r0; r < r1; r++) {
            row(r, row, 0);
            for (int t = 0; t < tokens; t++) {
                y[t * rows + r] = VectorMath.dot(row, 0, x, t * cols, cols);
            }
        }
    }

    @Override
    public void row(int r, float[] dst, int off) {
        long b0 = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            dst[off + c] = Float.float16ToFloat(w.getAtIndex(F16, b0 + c));
        }
    }

    @Override
    public float referenceDot(int r, float[] x, int xOff) {
        float s = 0f;
        long b0 = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            s += Float.float16ToFloat(w.getAtIndex(F16, b0 + c)) * x[xOff + c];
        }
        return s;
    }
}
