package dev.veloxquant.engine.kernel;

/**
 * A weight matrix {@code [rows, cols]} (a Linear layer's {@code [out, in]}) kept in its stored dtype;
 * kernels convert to fp32 on the fly. {@code y = x W^T} for a batch of token rows.
 */
public sealed interface Matrix permits Bf16Matrix, F16Matrix, F32Matrix {

    int rows();

    int cols();

    /**
     * Rewrites the input rows into the layout {@link #multiplyRows} reads (bf16 splits even/odd
     * columns per vector block); may return {@code x} itself.
     */
    float[] prepareInput(float[] x, int tokens);

    /**
     * For output rows {@code [r0, r1)} and every token {@code t}: {@code y[t*rows + r] = dot(W[r], x[t])},
     * with {@code xp} from {@link #prepareInput}.
     */
    void multiplyRows(float[] xp, int tokens, float[] y, int r0, int r1);

    /** Copies row {@code r} as floats into {@code dst} at {@code off} (embedding lookup). */
    void row(int r, float[] dst, int off);

    /** Scalar reference of one dot product, on the unprepared input row. */
    float referenceDot(int r, float[] x, int xOff);

    /** Whether another matrix reads the same prepared input (same class and cols). */
    default boolean sharesInputLayout(Matrix other) {
        return other.getClass() == getClass() && other.cols() == cols();
    }
}
