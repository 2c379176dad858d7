package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** fp32 weights read straight from the mapped file. */
public final class F32Matrix implements Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment w;
    private final int rows;
    private final int cols;
    private final int blocked;

    public F32Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 4L * rows * cols) {
            throw new IllegalArgumentException("f32 matrix " + rows + "x" + cols + " needs " + 4L * rows * cols + " bytes, got " + w.byteSize());
        }
        this.w = w;
        this.rows = rows;
        this.cols = cols;
        this.blocked = cols - cols % F.length();
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
        for (int r = r0; r < r1; r++) {
            long b0 = 4L * r * cols;
            for (int t = 0; t < tokens; t++) {
                int xb = t * cols;
                FloatVector a = FloatVector.zero(F);
                for (int c = 0; c < blocked; c += F.length()) {
                    a = FloatVector.fromMemorySegment(F, w, b0 + 4L * c, ByteOrder.LITTLE_ENDIAN)
                            .fma(FloatVector.fromArray(F, x, xb + c), a);
                }
                float s = Lanes.sum(a);
                for (int c = blocked; c < cols; c++) {
                    s += w.getAtIndex(F32, (long) r * cols + c) * x[xb + c];
                }
                y[t * rows + r] = s;
            }
        }
    }

    @Override
    public void row(int r, float[] dst, int off) {
        for (int c = 0; c < cols; c++) {
            dst[off + c] = w.getAtIndex(F32, (long) r * cols + c);
        }
    }

    @Override
    public float referenceDot(int r, float[] x, int xOff) {
        float s = 0f;
        for (int c = 0; c < cols; c++) {
            s += w.getAtIndex(F32, (long) r * cols + c) * x[xOff + c];
        }
        return s;
    }
}
