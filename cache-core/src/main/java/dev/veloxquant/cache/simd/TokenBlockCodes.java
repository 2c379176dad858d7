package dev.veloxquant.cache.simd;

/**
 * Token-interleaved packing of a block of key codes, for score kernels that compute 16 tokens per
 * vector with no horizontal sums. Tokens are taken in sub-blocks of {@code tb} (16, or the group
 * size if smaller); within a sub-block, channel chunk c (the {@code per = 8 / bits} channels
 * c*per .. c*per+per-1) is {@code tb} bytes, byte j holding token j's codes of those channels at bit
 * {@code (d % per) * bits}. One load of 16 bytes then yields, per plane, one channel's codes for 16
 * consecutive tokens. Exactly {@code bits} per code; widths 2, 4 and 8.
 */
public final class TokenBlockCodes {
    private TokenBlockCodes() {
    }

    public static final int BLOCK = 16;

    public static int subBlock(int groupTokens) {
        return Math.min(BLOCK, groupTokens);
    }

    /** Bytes of a group of {@code tokens} (a multiple of the sub-block) by {@code dim} codes. */
    public static int bytes(int tokens, int dim, int bits) {
        return tokens * dim * bits / 8;
    }

    public static int index(int tb, int dim, int bits, int t, int d) {
        int per = 8 / bits;
        return ((t / tb) * (dim / per) + d / per) * tb + t % tb;
    }

    /** ORs one code into its place; the block must start zeroed. */
    public static void put(byte[] dst, int off, int tb, int dim, int bits, int t, int d, int code) {
        int per = 8 / bits;
        dst[off + index(tb, dim, bits, t, d)] |= (byte) (code << ((d % per) * bits));
    }

    public static int get(byte[] src, int off, int tb, int dim, int bits, int t, int d) {
        int per = 8 / bits;
        return (src[off + index(tb, dim, bits, t, d)] >>> ((d % per) * bits)) & ((1 << bits) - 1);
    }
}
