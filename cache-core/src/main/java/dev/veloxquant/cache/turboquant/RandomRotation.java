package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.simd.MatVec;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Haar-random orthogonal matrix: Gram-Schmidt (the Q of a QR with positive diagonal R) of a
 * Gaussian matrix drawn from a seed derived from (layer, head). Every sequence of a model therefore
 * uses the same rotations; they are built once per process and shared, and not charged to a sequence.
 * Row-major: {@code y = R x}.
 */
public final class RandomRotation {
    private static final Map<Long, RandomRotation> SHARED = new ConcurrentHashMap<>();
    /** Arbitrary fixed base so rotations do not depend on anything but layer, head and size. */
    private static final long BASE_SEED = 0x7A5B_0C3D_91E2_4F68L;

    private final int dim;
    private final float[] matrix;

    private RandomRotation(int dim, float[] matrix) {
        this.dim = dim;
        this.matrix = matrix;
    }

    public static RandomRotation forHead(int layer, int head, int dim) {
        long seed = BASE_SEED ^ ((long) layer * 0x9E37_79B9_7F4A_7C15L) ^ ((long) head * 0xC2B2_AE3D_27D4_EB4FL) ^ dim;
        return SHARED.computeIfAbsent(seed, s -> generate(dim, s));
    }

    static RandomRotation generate(int dim, long seed) {
        Random rnd = new Random(seed);
        double[][] a = new double[dim][dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                a[i][j] = rnd.nextGaussian();
            }
        }
        // modified Gram-Schmidt over rows, twice for orthogonality to double precision
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < dim; i++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < dim; j++) {
                        dot += a[i][j] * a[k][j];
                    }
                    for (int j = 0; j < dim; j++) {
                        a[i][j] -= dot * a[k][j];
                    }
                }
                double norm = 0;
                for (int j = 0; j < dim; j++) {
                    norm += a[i][j] * a[i][j];
                }
                norm = Math.sqrt(norm);
                for (int j = 0; j < dim; j++) {
                    a[i][j] /= norm;
                }
            }
        }
        float[] m = new float[dim * dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                m[i * dim + j] = (float) a[i][j];
            }
        }
        return new RandomRotation(dim, m);
    }

    public int dim() {
        return dim;
    }

    /** {@code dst[dOff + i] = sum_j R[i][j] src[sOff + j]}. */
    public void rotate(float[] src, int sOff, float[] dst, int dOff) {
        MatVec.multiply(matrix, dim, src, sOff, dst, dOff);
    }

    /** {@code dst[dOff + j] = sum_i R[i][j] src[sOff + i]}: the inverse rotation. */
    public void unrotate(float[] src, int sOff, float[] dst, int dOff) {
        MatVec.multiplyTransposed(matrix, dim, src, sOff, dst, dOff);
    }

    float entry(int i, int j) {
        return matrix[i * dim + j];
    }
}
