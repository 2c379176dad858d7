package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.simd.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * bf16 weights read straight from the mapped file. One int lane holds two bf16 values: shifting left
 * by 16 gives the even column as fp32, masking the low half gives the odd one, so widening costs one
 * instruction per vector. The input is rearranged once per matmul (evens then odds per block) to match.
 */
public final class Bf16Matrix implements Matrix {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final int BLOCK = 2 * L;
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final MemorySegment w;
    private final int rows;
    private final int cols;
    private final int blocked;

    public Bf16Matrix(MemorySegment w, int rows, int cols) {
        if (w.byteSize() != 2L * rows * cols) {
            throw new IllegalArgumentException("bf16 matrix " + rows + "x" + cols + " needs " + 2L * rows * cols + " bytes, got " + w.byteSize());
        }
        this.w = w;
        this.rows = rows;
        this.cols = cols;
        this.blocked = cols - cols % BLOCK;
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
        float[] xp = new float[tokens * cols];
        for (int t = 0; t < tokens; t++) {
            int b = t * cols;
            for (int c = 0; c < blocked; c += BLOCK) {
                for (int j = 0; j < L; j++) {
                    xp[b + c + j] = x[b + c + 2 * j];
                    xp[b + c + L + j] = x[b + c + 2 * j + 1];
                }
            }
            System.arraycopy(x, b + blocked, xp, b + blocked, cols - blocked);
        }
        return xp;
    }

    @Override
    public void multiplyRows(float[] xp, int tokens, float[] y, int r0, int r1) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int t = 0;
            for (; t + 2 <= tokens; t += 2) {
                rows4tokens2(xp, t, y, r);
            }
            if (t < tokens) {
                rows4token1(xp, t, y, r);
            }
        }
        for (; r < r1; r++) {
            for (int t = 0; t < tokens; t++) {
                y[t * rows + r] = dot1(xp, t * cols, r);
            }
        }
    }

    private void rows4token1(float[] xp, int t, float[] y, int r) {
        MemorySegment w = this.w;
        long rowBytes = 2L * cols;
        long b0 = r * rowBytes;
        int xb = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0; c < blocked; c += BLOCK) {
            FloatVector xe = FloatVector.fromArray(F, xp, xb + c);
            FloatVector xo = FloatVector.fromArray(F, xp, xb + c + L);
            long off = b0 + 2L * c;
            IntVector w0 = IntVector.fromMemorySegment(I, w, off, ByteOrder.LITTLE_ENDIAN);
            IntVector w1 = IntVector.fromMemorySegment(I, w, off + rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w2 = IntVector.fromMemorySegment(I, w, off + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w3 = IntVector.fromMemorySegment(I, w, off + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            a0 = even(w0).fma(xe, a0);
            a1 = even(w1).fma(xe, a1);
            a2 = even(w2).fma(xe, a2);
            a3 = even(w3).fma(xe, a3);
            a0 = odd(w0).fma(xo, a0);
            a1 = odd(w1).fma(xo, a1);
            a2 = odd(w2).fma(xo, a2);
            a3 = odd(w3).fma(xo, a3);
        }
        y[t * rows + r] = Lanes.sum(a0) + tail(xp, xb, r);
        y[t * rows + r + 1] = Lanes.sum(a1) + tail(xp, xb, r + 1);
        y[t * rows + r + 2] = Lanes.sum(a2) + tail(xp, xb, r + 2);
        y[t * rows + r + 3] = Lanes.sum(a3) + tail(xp, xb, r + 3);
    }

    private void rows4tokens2(float[] xp, int t, float[] y, int r) {
        MemorySegment w = this.w;
        long rowBytes = 2L * cols;
        long b0 = r * rowBytes;
        int xb = t * cols;
        int xb2 = xb + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        for (int c = 0; c < blocked; c += BLOCK) {
            long off = b0 + 2L * c;
            IntVector w0 = IntVector.fromMemorySegment(I, w, off, ByteOrder.LITTLE_ENDIAN);
            IntVector w1 = IntVector.fromMemorySegment(I, w, off + rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w2 = IntVector.fromMemorySegment(I, w, off + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w3 = IntVector.fromMemorySegment(I, w, off + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = even(w0), e1 = even(w1), e2 = even(w2), e3 = even(w3);
            FloatVector xe = FloatVector.fromArray(F, xp, xb + c);
            FloatVector ye = FloatVector.fromArray(F, xp, xb2 + c);
            a0 = e0.fma(xe, a0);
            a1 = e1.fma(xe, a1);
            a2 = e2.fma(xe, a2);
            a3 = e3.fma(xe, a3);
            c0 = e0.fma(ye, c0);
            c1 = e1.fma(ye, c1);
            c2 = e2.fma(ye, c2);
            c3 = e3.fma(ye, c3);
            FloatVector o0 = odd(w0), o1 = odd(w1), o2 = odd(w2), o3 = odd(w3);
            FloatVector xo = FloatVector.fromArray(F, xp, xb + c + L);
            FloatVector yo = FloatVector.fromArray(F, xp, xb2 + c + L);
            a0 = o0.fma(xo, a0);
            a1 = o1.fma(xo, a1);
            a2 = o2.fma(xo, a2);
            a3 = o3.fma(xo, a3);
            c0 = o0.fma(yo, c0);
            c1 = o1.fma(yo, c1);
            c2 = o2.fma(yo, c2);
            c3 = o3.fma(yo, c3);
        }
        int y0 = t * rows + r;
        int y1 = y0 + rows;
        y[y0] = Lanes.sum(a0) + tail(xp, xb, r);
        y[y0 + 1] = Lanes.sum(a1) + tail(xp, xb, r + 1);
        y[y0 + 2] = Lanes.sum(a2) + tail(xp, xb, r + 2);
        y[y0 + 3] = Lanes.sum(a3) + tail(xp, xb, r + 3);
        y[y1] = Lanes.sum(c0) + tail(xp, xb2, r);
        y[y1 + 1] = Lanes.sum(c1) + tail(xp, xb2, r + 1);
        y[y1 + 2] = Lanes.sum(c2) + tail(xp, xb2, r + 2);
        y[y1 + 3] = Lanes.sum(c3) + tail(xp, xb2, r + 3);
    }

    private float dot1(float[] xp, int xb, int r) {
        long b0 = (long) r * cols * 2;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < blocked; c += BLOCK) {
            IntVector wv = IntVector.fromMemorySegment(I, w, b0 + 2L * c, ByteOrder.LITTLE_ENDIAN);
            a = even(wv).fma(FloatVector.fromArray(F, xp, xb + c), a);
            a = odd(wv).fma(FloatVector.fromArray(F, xp, xb + c + L), a);
        }
        return Lanes.sum(a) + tail(xp, xb, r);
    }

    private float tail(float[] xp, int xb, int r) {
        float s = 0f;
        long b0 = (long) r * cols;
        for (int c = blocked; c < cols; c++) {
            s += bf16(w.getAtIndex(BF16, b0 + c)) * xp[xb + c];
        }
        return s;
    }

    private static FloatVector even(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector odd(IntVector v) {
        return v.and(0xFFFF0000).reinterpretAsFloats();
    }

    static float bf16(short s) {
        return Float.intBitsToFloat(s << 16);
    }

    @Override
    public void row(int r, float[] dst, int off) {
        long b0 = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            dst[off + c] = bf16(w.getAtIndex(BF16, b0 + c));
        }
    }

    @Override
    public float referenceDot(int r, float[] x, int xOff) {
        float s = 0f;
        long b0 = (long) r * cols;
        for (int c = 0; c < cols; c++) {
            s += bf16(w.getAtIndex(BF16, b0 + c)) * x[xOff + c];
        }
        return s;
    }
}
