package dev.veloxquant.engine.kernel;

import dev.veloxquant.engine.safetensors.Tensor;
import dev.veloxquant.engine.safetensors.UnsupportedModelException;

/**
 * Batched {@code y = x W^T} for one or several matrices reading the same input (q/k/v, gate/up),
 * run as one parallel region over all their output rows.
 */
public final class Matmul {
    private static final int ROW_GRAIN = 16;
    /**
     * Up to this many tokens (decode) workers stage their rows and publish them, so the caller can take
     * over a stalled worker's chunk; larger batches (prefill) write in place and the caller waits.
     */
    private static final int STAGED_TOKENS = 4;

    private Matmul() {
    }

    public static Matrix of(Tensor t) {
        if (t.shape().length != 2) {
            throw new UnsupportedModelException("tensor '" + t.name() + "' should be 2-D, has shape of rank " + t.shape().length);
        }
        int rows = Math.toIntExact(t.shape()[0]);
        int cols = Math.toIntExact(t.shape()[1]);
        return switch (t.dtype()) {
            case BF16 -> new Bf16Matrix(t.data(), rows, cols);
            case F16 -> new F16Matrix(t.data(), rows, cols);
            case F32 -> new F32Matrix(t.data(), rows, cols);
            case I32 -> throw new UnsupportedModelException("tensor '" + t.name() + "' has dtype I32; weights must be BF16, F16 or F32");
        };
    }

    /** {@code ys[i][t*rows_i + r] = dot(ms[i][r], x[t])} for every matrix, token and row. */
    public static void multiply(Parallel par, float[] x, int tokens, Matrix[] ms, float[][] ys) {
        float[][] prepared = new float[ms.length][];
        int total = 0;
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].cols() * tokens > x.length) {
                throw new IllegalArgumentException("input too short for " + tokens + " tokens x " + ms[i].cols());
            }
            for (int j = 0; j < i && prepared[i] == null; j++) {
                if (ms[j].sharesInputLayout(ms[i])) {
                    prepared[i] = prepared[j];
                }
            }
            if (prepared[i] == null) {
                prepared[i] = ms[i].prepareInput(x, tokens);
            }
            total += ms[i].rows();
        }
        // Fine chunks keep both threads busy to the end; a batch of tokens already amortizes each chunk.
        int units = (total + ROW_GRAIN - 1) / ROW_GRAIN;
        Rows body = new Rows(ms, prepared, tokens, ys, total, par.threads());
        if (tokens <= STAGED_TOKENS) {
            par.forChunks(units, 1, body);
        } else {
            par.forRange(units, 1, (u0, u1) -> body.compute(0, u0, u1));
        }
    }

    /**
     * The rows of one fused matmul region. The caller (slot 0) writes {@code ys}; a worker writes its own
     * copy of the outputs and publishes its rows if it still owns the chunk (see {@link Parallel.ChunkBody}).
     */
    private static final class Rows implements Parallel.ChunkBody {
        private final Matrix[] ms;
        private final float[][] prepared;
        private final int tokens;
        private final float[][] ys;
        private final int total;
        private final float[][][] staged;

        Rows(Matrix[] ms, float[][] prepared, int tokens, float[][] ys, int total, int threads) {
            this.ms = ms;
            this.prepared = prepared;
            this.tokens = tokens;
            this.ys = ys;
            this.total = total;
            this.staged = new float[threads][][];
        }

        @Override
        public void compute(int slot, int u0, int u1) {
            float[][] out = ys;
            if (slot > 0) {
                out = staged[slot];
                if (out == null) {
                    out = new float[ms.length][];
                    for (int i = 0; i < ms.length; i++) {
                        out[i] = new float[tokens * ms[i].rows()];
                    }
                    staged[slot] = out;
                }
            }
            int start = u0 * ROW_GRAIN;
            int end = Math.min(total, u1 * ROW_GRAIN);
            int base = 0;
            for (int i = 0; i < ms.length; i++) {
                int rows = ms[i].rows();
                int s = Math.max(start, base);
                int e = Math.min(end, base + rows);
                if (s < e) {
                    ms[i].multiplyRows(prepared[i], tokens, out[i], s - base, e - base);
                }
                base += rows;
            }
        }

        @Override
        public void publish(int slot, int u0, int u1) {
            float[][] out = staged[slot];
            int start = u0 * ROW_GRAIN;
            int end = Math.min(total, u1 * ROW_GRAIN);
            int base = 0;
            for (int i = 0; i < ms.length; i++) {
                int rows = ms[i].rows();
                int s = Math.max(start, base);
                int e = Math.min(end, base + rows);
                for (int t = 0; s < e && t < tokens; t++) {
                    System.arraycopy(out[i], t * rows + s - base, ys[i], t * rows + s - base, e - s);
                }
                base += rows;
            }
        }
    }

    public static void multiply(Parallel par, float[] x, int tokens, Matrix m, float[] y) {
        multiply(par, x, tokens, new Matrix[]{m}, new float[][]{y});
    }

    /** Scalar reference of {@link #multiply} for one matrix. */
    public static void reference(float[] x, int tokens, Matrix m, float[] y) {
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < m.rows(); r++) {
                y[t * m.rows() + r] = m.referenceDot(r, x, t * m.cols());
            }
        }
    }
}
