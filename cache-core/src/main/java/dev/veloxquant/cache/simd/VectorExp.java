package dev.veloxquant.cache.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code exp} on float vectors from adds, multiplies, fused multiply-adds and bit moves only.
 * {@code lanewise(EXP)} is computed by a vendor math library once C2 compiles the caller and by
 * {@code Math.exp} per lane before that, so softmax and SwiGLU results changed with JIT timing (and
 * with it perplexities in the quality report). Every operation here is exactly rounded IEEE in both
 * modes, so the result is the same bit for bit; {@link #expScalar} spells out the same steps.
 *
 * <p>Method (Cephes {@code expf}): {@code x = k·ln2 + r}, {@code |r| <= ln2/2}, ln2 split in two for
 * an exact reduction, a degree-7 polynomial for {@code e^r}, then {@code 2^k} through the exponent
 * bits. Inputs are clamped to [-87, 88] so {@code 2^k} stays a normal float: below, the result is
 * about 1.6e-38 instead of a subnormal or 0 (nothing here sums enough of them to matter); above,
 * about 1.65e38 instead of infinity.
 */
public final class VectorExp {
    private static final float LO = -87f;
    private static final float HI = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2^23: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private VectorExp() {
    }

    public static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector k = t.sub(ROUNDER);
        FloatVector r = k.fma(x.broadcast(-LN2_HI), x);
        r = k.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, x.broadcast(P2));
        p = p.fma(r, x.broadcast(P3));
        p = p.fma(r, x.broadcast(P4));
        p = p.fma(r, x.broadcast(P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /** The scalar reference: the same operations in the same order. */
    public static float expScalar(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float k = t - ROUNDER;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int bits = (Float.floatToRawIntBits(t) - (ROUNDER_BITS - 127)) << 23;
        return y * Float.intBitsToFloat(bits);
    }
}
