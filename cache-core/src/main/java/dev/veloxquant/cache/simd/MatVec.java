package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Square matrix (row-major, n x n) times vector, and transposed, for the rotations of TurboQuant. */
public final class MatVec {
    private MatVec() {
    }

    /** {@code y[i] = sum_j m[i][j] x[j]}. */
    public static void multiply(float[] m, int n, float[] x, int xOff, float[] y, int yOff) {
        if (!Simd.enabled() || n % Simd.L != 0) {
            multiplyScalar(m, n, x, xOff, y, yOff);
            return;
        }
        for (int i = 0; i < n; i++) {
            FloatVector acc = FloatVector.zero(Simd.F);
            int r = i * n;
            for (int j = 0; j < n; j += Simd.L) {
                acc = FloatVector.fromArray(Simd.F, m, r + j).fma(FloatVector.fromArray(Simd.F, x, xOff + j), acc);
            }
            y[yOff + i] = Lanes.sum(acc);
        }
    }

    public static void multiplyScalar(float[] m, int n, float[] x, int xOff, float[] y, int yOff) {
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int j = 0; j < n; j++) {
                s += m[i * n + j] * x[xOff + j];
            }
            y[yOff + i] = s;
        }
    }

    /** {@code y[j] = sum_i m[i][j] x[i]}. */
    public static void multiplyTransposed(float[] m, int n, float[] x, int xOff, float[] y, int yOff) {
        if (!Simd.enabled() || n % Simd.L != 0) {
            multiplyTransposedScalar(m, n, x, xOff, y, yOff);
            return;
        }
        for (int j = 0; j < n; j += Simd.L) {
            FloatVector acc = FloatVector.zero(Simd.F);
            for (int i = 0; i < n; i++) {
                acc = FloatVector.fromArray(Simd.F, m, i * n + j).fma(FloatVector.broadcast(Simd.F, x[xOff + i]), acc);
            }
            acc.intoArray(y, yOff + j);
        }
    }

    public static void multiplyTransposedScalar(float[] m, int n, float[] x, int xOff, float[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int i = 0; i < n; i++) {
                s += m[i * n + j] * x[xOff + i];
            }
            y[yOff + j] = s;
        }
    }
}
