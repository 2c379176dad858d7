package dev.veloxquant.cache.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector species shared by the cache kernels and the switch between the Vector API paths and their
 * scalar references. {@code -Dveloxquant.simd=false} forces the scalar references everywhere (the
 * benchmark uses it to show what the fast paths buy).
 */
public final class Simd {
    private Simd() {
    }

    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final int L = F.length();
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /**
     * Whether the byte and half kernels can run: L bytes and L halves must form a vector shape (at
     * least 64 bits), which needs L >= 8 (AVX2, AVX-512). With 128-bit vectors (L = 4, NEON) the
     * scalar references are used instead.
     */
    public static final boolean NARROW_OK = L >= 8;
    /** L bytes: one load gives L codes per plane after widening to ints; null when !NARROW_OK. */
    public static final VectorSpecies<Byte> B = NARROW_OK ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** L halves; null when !NARROW_OK. */
    public static final VectorSpecies<Short> S = NARROW_OK ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : null;

    private static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("veloxquant.simd", "true"));

    public static boolean enabled() {
        return enabled;
    }

    /** Fast paths that load bytes or halves: enabled and the vector shape allows it. */
    public static boolean narrowEnabled() {
        return enabled && NARROW_OK;
    }

    /** For benchmarks and tests that compare both paths in one JVM. */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /*
     * The two helpers below are for tests and cold paths. Hot kernels spell the expressions out:
     * once a helper that returns a vector has been compiled on its own (it gets hot early), C2 may
     * refuse to inline it into a kernel compiled later, and every call then boxes a vector, which
     * made kernels several times slower depending on which method ran first.
     */

    /** L bytes from {@code off} widened to int lanes (sign-extended; callers mask). */
    static IntVector loadBytesAsInts(byte[] a, int off) {
        return (IntVector) ByteVector.fromArray(B, a, off).convertShape(VectorOperators.B2I, I, 0);
    }

    /**
     * L IEEE half floats to floats, exactly (normals, subnormals, infinities, NaN): the half's
     * exponent and mantissa shifted into float position are a float 2^112 too small.
     */
    static FloatVector halfToFloat(short[] a, int off) {
        IntVector h = (IntVector) ShortVector.fromArray(S, a, off).convertShape(VectorOperators.S2I, I, 0);
        IntVector e = h.and(0x7FFF);
        FloatVector mag = e.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        IntVector bits = mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
        VectorMask<Integer> special = e.compare(VectorOperators.GE, 0x7C00);
        return bits.lanewise(VectorOperators.OR, 0x7F800000, special).reinterpretAsFloats();
    }
}
