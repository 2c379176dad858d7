package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.simd.PackedCodes;
import dev.veloxquant.cache.simd.TokenBlockCodes;

/**
 * KIVI's asymmetric quantizer: a group's min and max give zero = min and scale = (max - min) /
 * (2^bits - 1), both kept as fp16; codes are round((x - zero) / scale) clamped to the range, computed
 * from the fp16-rounded scale and zero so that decoding reproduces exactly what was encoded.
 */
public final class AffineCodec {
    private AffineCodec() {
    }

    /**
     * Quantizes {@code tokens} rows (stride {@code stride}) of {@code headDim} channels with one (scale,
     * zero) per channel; writes {@code headDim} fp16 scales and zeros at {@code sOff} and one packed row
     * per token at {@code codesOff + t * rowBytes}.
     */
    public static void encodeChannels(float[] src, int off, int stride, int tokens, int headDim, int bits,
                                      byte[] codes, int codesOff, short[] scale, short[] zero, int sOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        int maxCode = (1 << bits) - 1;
        float[] sc = new float[headDim];
        float[] zr = new float[headDim];
        for (int d = 0; d < headDim; d++) {
            float mn = Float.POSITIVE_INFINITY;
            float mx = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < tokens; t++) {
                float x = src[off + t * stride + d];
                mn = Math.min(mn, x);
                mx = Math.max(mx, x);
            }
            short s = Float.floatToFloat16((mx - mn) / maxCode);
            short z = Float.floatToFloat16(mn);
            scale[sOff + d] = s;
            zero[sOff + d] = z;
            sc[d] = Float.float16ToFloat(s);
            zr[d] = Float.float16ToFloat(z);
        }
        int[] row = new int[headDim];
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < headDim; d++) {
                row[d] = code(src[off + t * stride + d], sc[d], zr[d], maxCode);
            }
            PackedCodes.pack(row, 0, headDim, bits, codes, codesOff + t * rb);
        }
    }

    /**
     * As {@link #encodeChannels} but the codes of the group go to {@code codes} from {@code codesOff} in
     * {@link TokenBlockCodes} layout ({@code tokens} must be the whole group).
     */
    public static void encodeChannelsBlocked(float[] src, int off, int stride, int tokens, int headDim, int bits,
                                             byte[] codes, int codesOff, short[] scale, short[] zero, int sOff) {
        int rb = PackedCodes.rowBytes(headDim, bits);
        byte[] rows = new byte[tokens * rb];
        encodeChannels(src, off, stride, tokens, headDim, bits, rows, 0, scale, zero, sOff);
        int tb = TokenBlockCodes.subBlock(tokens);
        java.util.Arrays.fill(codes, codesOff, codesOff + TokenBlockCodes.bytes(tokens, headDim, bits), (byte) 0);
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < headDim; d++) {
                TokenBlockCodes.put(codes, codesOff, tb, headDim, bits, t, d, PackedCodes.get(rows, t * rb, headDim, bits, d));
            }
        }
    }

    /**
     * Quantizes one token row of {@code headDim} channels in groups of {@code cg} channels; writes
     * {@code headDim / cg} fp16 scales and zeros at {@code sOff} and one packed row at {@code codesOff}.
     */
    public static void encodeToken(float[] src, int off, int headDim, int cg, int bits,
                                   byte[] codes, int codesOff, short[] scale, short[] zero, int sOff) {
        int maxCode = (1 << bits) - 1;
        int[] row = new int[headDim];
        for (int g = 0; g < headDim / cg; g++) {
            float mn = Float.POSITIVE_INFINITY;
            float mx = Float.NEGATIVE_INFINITY;
            for (int d = g * cg; d < (g + 1) * cg; d++) {
                mn = Math.min(mn, src[off + d]);
                mx = Math.max(mx, src[off + d]);
            }
            short s = Float.floatToFloat16((mx - mn) / maxCode);
            short z = Float.floatToFloat16(mn);
            scale[sOff + g] = s;
            zero[sOff + g] = z;
            float sf = Float.float16ToFloat(s);
            float zf = Float.float16ToFloat(z);
            for (int d = g * cg; d < (g + 1) * cg; d++) {
                row[d] = code(src[off + d], sf, zf, maxCode);
            }
        }
        PackedCodes.pack(row, 0, headDim, bits, codes, codesOff);
    }

    static int code(float x, float scale, float zero, int maxCode) {
        if (!(scale > 0f)) {
            return 0;
        }
        int c = Math.round((x - zero) / scale);
        return Math.max(0, Math.min(maxCode, c));
    }

    /** Channel group for per-token value quantization: the largest power of two up to {@code groupSize} that divides headDim. */
    public static int valueChannelGroup(int groupSize, int headDim) {
        int cg = Integer.highestOneBit(Math.min(groupSize, headDim));
        while (headDim % cg != 0) {
            cg >>= 1;
        }
        return cg;
    }
}
