package dev.veloxquant.cache.simd;

/**
 * Bit-packing of one row of {@code n} small unsigned codes (n a multiple of 8) into exactly
 * {@code n * bits / 8} bytes.
 *
 * <p>Layout for widths that divide 8 (1, 2, 4, 8): the row is split into {@code per = 8 / bits}
 * planes of {@code rb = n / per} codes; byte {@code j} holds code {@code j + k * rb} at bit
 * {@code k * bits}. A SIMD kernel loads L consecutive bytes and gets, for every k, L consecutive
 * codes with one shift and one mask: no shuffles. Width 3 is stored as a 2-bit row (low bits)
 * followed by a 1-bit row (high bit), so it is still exactly 3 bits per code.
 */
public final class PackedCodes {
    private PackedCodes() {
    }

    public static void checkBits(int bits) {
        if (bits < 1 || bits > 8 || (bits > 4 && bits != 8)) {
            throw new IllegalArgumentException("code width must be 1, 2, 3, 4 or 8 bits, got " + bits);
        }
    }

    /** Bytes of one packed row of {@code n} codes. */
    public static int rowBytes(int n, int bits) {
        checkBits(bits);
        if (n % 8 != 0) {
            throw new IllegalArgumentException("row length must be a multiple of 8 to pack codes exactly, got " + n);
        }
        return n / 8 * bits;
    }

    /** Whether the plane layout applies directly (no 3-bit split). */
    public static boolean isPlanar(int bits) {
        return bits == 1 || bits == 2 || bits == 4 || bits == 8;
    }

    public static void pack(int[] codes, int cOff, int n, int bits, byte[] dst, int dOff) {
        if (bits == 3) {
            int[] lo = new int[n];
            int[] hi = new int[n];
            for (int i = 0; i < n; i++) {
                lo[i] = codes[cOff + i] & 3;
                hi[i] = (codes[cOff + i] >>> 2) & 1;
            }
            packPlanar(lo, 0, n, 2, dst, dOff);
            packPlanar(hi, 0, n, 1, dst, dOff + n / 4);
            return;
        }
        packPlanar(codes, cOff, n, bits, dst, dOff);
    }

    private static void packPlanar(int[] codes, int cOff, int n, int bits, byte[] dst, int dOff) {
        int per = 8 / bits;
        int rb = n / per;
        int mask = (1 << bits) - 1;
        for (int j = 0; j < rb; j++) {
            int b = 0;
            for (int k = 0; k < per; k++) {
                b |= (codes[cOff + j + k * rb] & mask) << (k * bits);
            }
            dst[dOff + j] = (byte) b;
        }
    }

    /** Code {@code i} of the row at {@code off}. */
    public static int get(byte[] src, int off, int n, int bits, int i) {
        if (bits == 3) {
            return getPlanar(src, off, n, 2, i) | (getPlanar(src, off + n / 4, n, 1, i) << 2);
        }
        return getPlanar(src, off, n, bits, i);
    }

    private static int getPlanar(byte[] src, int off, int n, int bits, int i) {
        int rb = n * bits / 8;
        int j = i % rb;
        int k = i / rb;
        return (src[off + j] >>> (k * bits)) & ((1 << bits) - 1);
    }

    /** Unpacks the whole row into {@code dst[dOff .. dOff + n)}. */
    public static void unpack(byte[] src, int off, int n, int bits, int[] dst, int dOff) {
        if (bits == 3) {
            unpackPlanar(src, off, n, 2, dst, dOff);
            int rb = n / 8;
            for (int j = 0; j < rb; j++) {
                int b = src[off + n / 4 + j];
                for (int k = 0; k < 8; k++) {
                    dst[dOff + j + k * rb] |= ((b >>> k) & 1) << 2;
                }
            }
            return;
        }
        unpackPlanar(src, off, n, bits, dst, dOff);
    }

    private static void unpackPlanar(byte[] src, int off, int n, int bits, int[] dst, int dOff) {
        int per = 8 / bits;
        int rb = n / per;
        int mask = (1 << bits) - 1;
        for (int j = 0; j < rb; j++) {
            int b = src[off + j];
            for (int k = 0; k < per; k++) {
                dst[dOff + j + k * rb] = (b >>> (k * bits)) & mask;
            }
        }
    }
}
