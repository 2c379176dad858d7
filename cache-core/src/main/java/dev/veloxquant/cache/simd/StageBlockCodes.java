package dev.veloxquant.cache.simd;

/**
 * Token-interleaved packing of residual-stage codes (TurboQuant keys), 16 tokens per block so a
 * score kernel computes 16 tokens per vector. A block holds, for each stage, its bit planes (one
 * plane of {@code bits} for widths 1, 2 and 4; for width 3 a 2-bit plane of the low bits then a 1-bit
 * plane of the high bit); a plane of width pb is {@code dim / (8 / pb)} chunks of 16 bytes, byte j of
 * chunk c holding token j's codes of channels {@code c * per ..} at bit {@code (d % per) * pb}.
 * Exactly {@code bits} per code; a token's codes take {@code stages * dim * bits / 8} bytes.
 */
public final class StageBlockCodes {
    private StageBlockCodes() {
    }

    public static final int BLOCK = 16;

    public static int tokenBytes(int dim, int bits, int stages) {
        return stages * PackedCodes.rowBytes(dim, bits);
    }

    public static int blockBytes(int dim, int bits, int stages) {
        return BLOCK * tokenBytes(dim, bits, stages);
    }

    /** Offset of a plane of stage s within a block. */
    static int planeOffset(int dim, int bits, int s, int plane) {
        return BLOCK * (s * PackedCodes.rowBytes(dim, bits) + (plane == 1 ? dim / 4 : 0));
    }

    /** Writes token t's stage-s code of channel d (the bytes must start zeroed). */
    public static void put(byte[] a, int base, int dim, int bits, int stages, int t, int s, int d, int code) {
        int bo = base + (t / BLOCK) * blockBytes(dim, bits, stages);
        int j = t % BLOCK;
        if (bits == 3) {
            putPlane(a, bo + planeOffset(dim, 3, s, 0), 2, j, d, code & 3);
            putPlane(a, bo + planeOffset(dim, 3, s, 1), 1, j, d, code >>> 2);
        } else {
            putPlane(a, bo + planeOffset(dim, bits, s, 0), bits, j, d, code);
        }
    }

    public static int get(byte[] a, int base, int dim, int bits, int stages, int t, int s, int d) {
        int bo = base + (t / BLOCK) * blockBytes(dim, bits, stages);
        int j = t % BLOCK;
        if (bits == 3) {
            return getPlane(a, bo + planeOffset(dim, 3, s, 0), 2, j, d) | (getPlane(a, bo + planeOffset(dim, 3, s, 1), 1, j, d) << 2);
        }
        return getPlane(a, bo + planeOffset(dim, bits, s, 0), bits, j, d);
    }

    private static void putPlane(byte[] a, int po, int pb, int j, int d, int code) {
        int per = 8 / pb;
        a[po + (d / per) * BLOCK + j] |= (byte) (code << ((d % per) * pb));
    }

    private static int getPlane(byte[] a, int po, int pb, int j, int d) {
        int per = 8 / pb;
        return (a[po + (d / per) * BLOCK + j] >>> ((d % per) * pb)) & ((1 << pb) - 1);
    }
}
