package dev.veloxquant.cache.commvq;

/**
 * Values at 8, 4 or 2 bits: per token and head, asymmetric uniform quantization over groups of
 * channels (KIVI's value scheme), an fp16 minimum and step per group, codes packed little-endian.
 */
final class TokenValueCodec {
    static final int CHANNEL_GROUP = 32;

    private final int headDim;
    private final int bits;
    private final int group;
    private final int groups;
    private final int maxCode;

    TokenValueCodec(int headDim, int bits) {
        if (bits != 8 && bits != 4 && bits != 2) {
            throw new IllegalArgumentException("value bits must be 8, 4 or 2, got " + bits);
        }
        this.headDim = headDim;
        this.bits = bits;
        this.group = headDim % CHANNEL_GROUP == 0 ? CHANNEL_GROUP : headDim;
        this.groups = headDim / group;
        this.maxCode = (1 << bits) - 1;
    }

    int codeBytesPerToken() {
        return (headDim * bits + 7) / 8;
    }

    int metaPerToken() {
        return 2 * groups;
    }

    long bytesPerToken() {
        return codeBytesPerToken() + 2L * metaPerToken();
    }

    void encode(float[] src, int srcOff, byte[] codes, int codeOff, short[] meta, int metaOff) {
        for (int gi = 0; gi < groups; gi++) {
            int s = srcOff + gi * group;
            float mn = Float.POSITIVE_INFINITY;
            float mx = Float.NEGATIVE_INFINITY;
            for (int d = 0; d < group; d++) {
                mn = Math.min(mn, src[s + d]);
                mx = Math.max(mx, src[s + d]);
            }
            short mn16 = Float.floatToFloat16(mn);
            float lo = Float.float16ToFloat(mn16);
            short st16 = Float.floatToFloat16((mx - lo) / maxCode);
            float st = Float.float16ToFloat(st16);
            meta[metaOff + 2 * gi] = mn16;
            meta[metaOff + 2 * gi + 1] = st16;
            for (int d = 0; d < group; d++) {
                int c = st > 0f ? Math.round((src[s + d] - lo) / st) : 0;
                c = Math.max(0, Math.min(maxCode, c));
                int bit = (gi * group + d) * bits;
                int idx = codeOff + (bit >>> 3);
                int sh = bit & 7;
                codes[idx] = (byte) ((codes[idx] & ~(maxCode << sh)) | (c << sh));
            }
        }
    }

    void decode(byte[] codes, int codeOff, short[] meta, int metaOff, float[] dst, int dstOff) {
        for (int gi = 0; gi < groups; gi++) {
            float lo = Float.float16ToFloat(meta[metaOff + 2 * gi]);
            float st = Float.float16ToFloat(meta[metaOff + 2 * gi + 1]);
            for (int d = 0; d < group; d++) {
                int bit = (gi * group + d) * bits;
                int c = ((codes[codeOff + (bit >>> 3)] & 0xFF) >>> (bit & 7)) & maxCode;
                dst[dstOff + gi * group + d] = Math.fma(st, (float) c, lo);
            }
        }
    }
}
