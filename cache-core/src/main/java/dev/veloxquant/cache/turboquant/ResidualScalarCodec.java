package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.simd.PackedCodes;

/**
 * TurboQuant's per-coordinate coding of one rotated head vector y (dimension d): the coordinates of
 * u = y * sqrt(d) / |y| are close to N(0, 1) after a random rotation. Stage 1 quantizes u with the
 * Gaussian Lloyd-Max levels; every later stage quantizes the remaining residual with Laplacian
 * Lloyd-Max levels scaled to the residual's expected standard deviation (the product of the earlier
 * stages' design MSEs). One fp16 scale per vector: the least-squares factor alpha for which
 * alpha * (sum of stage levels) best matches y, i.e. the norm corrected for the quantizer's shrinkage.
 *
 * <p>Storage per vector: {@code stages} packed rows of d codes at {@code bits} each, then nothing
 * else but the fp16 scale kept by the caller.
 */
public final class ResidualScalarCodec {
    /** Entries per stage in {@link #tables()}: padded so one vector register holds a stage's levels. */
    public static final int TABLE_STRIDE = 16;

    private final int dim;
    private final int bits;
    private final int stages;
    private final LloydMax[] designs;
    private final float[] stageScale;
    private final float[] tables;

    public ResidualScalarCodec(int dim, int bits, int stages) {
        if (bits < 1 || bits > 4) {
            throw new IllegalArgumentException("bits per stage must be 1..4, got " + bits);
        }
        if (stages < 1) {
            throw new IllegalArgumentException("stages must be >= 1, got " + stages);
        }
        PackedCodes.rowBytes(dim, bits);
        this.dim = dim;
        this.bits = bits;
        this.stages = stages;
        this.designs = new LloydMax[stages];
        this.stageScale = new float[stages];
        this.tables = new float[stages * TABLE_STRIDE];
        double sigma = 1.0;
        for (int s = 0; s < stages; s++) {
            designs[s] = LloydMax.of(s == 0 ? LloydMax.Density.GAUSSIAN : LloydMax.Density.LAPLACIAN, bits);
            stageScale[s] = (float) sigma;
            float[] lv = designs[s].levels();
            for (int i = 0; i < lv.length; i++) {
                tables[s * TABLE_STRIDE + i] = (float) (lv[i] * sigma);
            }
            sigma *= Math.sqrt(designs[s].mse());
        }
    }

    public int dim() {
        return dim;
    }

    public int bits() {
        return bits;
    }

    public int stages() {
        return stages;
    }

    /** Packed bytes of one vector's codes (all stages). */
    public int rowBytes() {
        return stages * PackedCodes.rowBytes(dim, bits);
    }

    /** Stage s level i at {@code s * TABLE_STRIDE + i}, in units of the scale alpha. */
    public float[] tables() {
        return tables;
    }

    /**
     * Codes the rotated vector {@code y[yOff .. yOff + dim)} into {@code codes} at {@code cOff}
     * ({@link #rowBytes()} bytes) and returns the fp16 scale alpha.
     */
    public short encode(float[] y, int yOff, byte[] codes, int cOff) {
        double n2 = 0;
        for (int i = 0; i < dim; i++) {
            n2 += (double) y[yOff + i] * y[yOff + i];
        }
        int rb = PackedCodes.rowBytes(dim, bits);
        int[] code = new int[dim];
        if (n2 == 0) {
            for (int s = 0; s < stages; s++) {
                PackedCodes.pack(code, 0, dim, bits, codes, cOff + s * rb);
            }
            return Float.floatToFloat16(0f);
        }
        float toUnit = (float) (Math.sqrt(dim) / Math.sqrt(n2));
        float[] r = new float[dim];
        float[] recon = new float[dim];
        for (int i = 0; i < dim; i++) {
            r[i] = y[yOff + i] * toUnit;
        }
        for (int s = 0; s < stages; s++) {
            float sc = stageScale[s];
            LloydMax lm = designs[s];
            for (int i = 0; i < dim; i++) {
                int c = lm.quantize(r[i] / sc);
                code[i] = c;
                float level = tables[s * TABLE_STRIDE + c];
                r[i] -= level;
                recon[i] += level;
            }
            PackedCodes.pack(code, 0, dim, bits, codes, cOff + s * rb);
        }
        double yr = 0;
        double rr = 0;
        for (int i = 0; i < dim; i++) {
            yr += (double) y[yOff + i] * recon[i];
            rr += (double) recon[i] * recon[i];
        }
        return Float.floatToFloat16(rr > 0 ? (float) (yr / rr) : 0f);
    }

    /** The rotated vector the codes stand for: {@code alpha * sum_s level_s}. */
    public void decode(byte[] codes, int cOff, short alpha, float[] out, int oOff) {
        int rb = PackedCodes.rowBytes(dim, bits);
        float a = Float.float16ToFloat(alpha);
        for (int i = 0; i < dim; i++) {
            float v = 0;
            for (int s = 0; s < stages; s++) {
                v += tables[s * TABLE_STRIDE + PackedCodes.get(codes, cOff + s * rb, dim, bits, i)];
            }
            out[oOff + i] = a * v;
        }
    }
}
