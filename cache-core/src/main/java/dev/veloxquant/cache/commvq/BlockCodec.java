package dev.veloxquant.cache.commvq;

/**
 * Encodes and decodes the pre-RoPE keys of one head for one block of tokens. Storage of a block:
 * per pair, the codes of its tokens ({@link CommVQParams#pairBlockBytes()} bytes); four fp16 rows
 * of grid parameters over the pairs (lo of the real axis, its step, lo of the imaginary axis, its
 * step), so a kernel converts each row with vector loads; per token one fp16 norm when
 * {@link CommVQParams#tokenNorm()}.
 *
 * <p>Code layout of a pair when {@code k = codesPerByte() > 0}: token {@code j = m·(G/k) + i} sits
 * in byte {@code i} at bit {@code m·pairCodeBits}, so one byte load of consecutive {@code i} feeds
 * {@code k} runs of consecutive tokens (vector-friendly). Otherwise codes are a little-endian bit
 * stream. Within a pair code the real axis is in the low {@code axisBits} bits.
 *
 * <p>The encoder is greedy per residual stage; with the nested grid that is the per-axis nearest
 * fine-grid cell, which {@link #stageCodes} spells out and a test checks.
 */
final class BlockCodec {
    private final CommVQParams p;
    private final int pairs;
    private final int headDim;
    private final int[] first;
    private final int[] second;
    private final int levels;
    private final int axisBits;
    private final int axisMask;
    private final float[] xs;
    private final float[] ys;
    private final float[] unit;
    private final short[] fitOut = new short[CommVQParams.META_PER_PAIR];

    BlockCodec(CommVQParams params) {
        this.p = params;
        this.pairs = params.pairs();
        this.headDim = params.headDim();
        this.first = new int[pairs];
        this.second = new int[pairs];
        for (int q = 0; q < pairs; q++) {
            first[q] = params.layout().first(q, headDim);
            second[q] = params.layout().second(q, headDim);
        }
        this.levels = params.levels();
        this.axisBits = params.axisBits();
        this.axisMask = (int) ((1L << axisBits) - 1);
        this.xs = new float[params.groupSize()];
        this.ys = new float[params.groupSize()];
        this.unit = new float[params.groupSize() * headDim];
    }

    CommVQParams params() {
        return p;
    }

    int firstDim(int pair) {
        return first[pair];
    }

    int secondDim(int pair) {
        return second[pair];
    }

    /**
     * Encodes {@code n <= groupSize} tokens; token {@code t}'s head vector starts at
     * {@code src[srcOff + t·srcStride]}. Unused code slots of a partial block stay zero.
     */
    void encode(float[] src, int srcOff, int srcStride, int n, byte[] codes, int codeBase, short[] meta, int metaBase,
                short[] norms, int normBase) {
        for (int t = 0; t < n; t++) {
            int s = srcOff + t * srcStride;
            float scale = 1f;
            if (p.tokenNorm()) {
                double ss = 0;
                for (int d = 0; d < headDim; d++) {
                    ss += (double) src[s + d] * src[s + d];
                }
                short n16 = UniformGridFit.half((float) Math.sqrt(ss));
                norms[normBase + t] = n16;
                float nf = Float.float16ToFloat(n16);
                scale = nf > 0f ? 1f / nf : 0f;
            }
            for (int d = 0; d < headDim; d++) {
                unit[t * headDim + d] = src[s + d] * scale;
            }
        }
        int pairBytes = p.pairBlockBytes();
        for (int q = 0; q < pairs; q++) {
            for (int t = 0; t < n; t++) {
                xs[t] = unit[t * headDim + first[q]];
                ys[t] = unit[t * headDim + second[q]];
            }
            UniformGridFit.fit(xs, n, levels, fitOut, 0);
            UniformGridFit.fit(ys, n, levels, fitOut, 2);
            for (int i = 0; i < CommVQParams.META_PER_PAIR; i++) {
                meta[metaBase + i * pairs + q] = fitOut[i];
            }
            float loX = Float.float16ToFloat(fitOut[0]);
            float stX = Float.float16ToFloat(fitOut[1]);
            float loY = Float.float16ToFloat(fitOut[2]);
            float stY = Float.float16ToFloat(fitOut[3]);
            int region = codeBase + q * pairBytes;
            for (int t = 0; t < n; t++) {
                int a = UniformGridFit.index(xs[t], loX, stX, levels);
                int b = UniformGridFit.index(ys[t], loY, stY, levels);
                putCode(codes, region, t, a | (b << axisBits));
            }
        }
    }

    /** Decodes {@code n} tokens of a block to pre-RoPE head vectors at {@code dst[dstOff + t·dstStride]}. */
    void decode(byte[] codes, int codeBase, short[] meta, int metaBase, short[] norms, int normBase, int n,
                float[] dst, int dstOff, int dstStride) {
        int pairBytes = p.pairBlockBytes();
        for (int q = 0; q < pairs; q++) {
            float stX = Float.float16ToFloat(meta[metaBase + pairs + q]);
            float stY = Float.float16ToFloat(meta[metaBase + 3 * pairs + q]);
            float bX = UniformGridFit.base(Float.float16ToFloat(meta[metaBase + q]), stX);
            float bY = UniformGridFit.base(Float.float16ToFloat(meta[metaBase + 2 * pairs + q]), stY);
            int region = codeBase + q * pairBytes;
            for (int t = 0; t < n; t++) {
                int c = code(codes, region, t);
                float nf = p.tokenNorm() ? Float.float16ToFloat(norms[normBase + t]) : 1f;
                int o = dstOff + t * dstStride;
                dst[o + first[q]] = UniformGridFit.value(bX, stX, c & axisMask) * nf;
                dst[o + second[q]] = UniformGridFit.value(bY, stY, c >>> axisBits) * nf;
            }
        }
    }

    /** The pair code (real axis in the low bits) of token {@code t} in the pair region at {@code region}. */
    int code(byte[] codes, int region, int t) {
        int k = p.codesPerByte();
        int bitsPer = p.pairCodeBits();
        if (k > 0) {
            int run = p.groupSize() / k;
            int shift = (t / run) * bitsPer;
            return ((codes[region + t % run] & 0xFF) >>> shift) & ((1 << bitsPer) - 1);
        }
        long bit = (long) t * bitsPer;
        int c = 0;
        for (int i = 0; i < bitsPer; i++) {
            long b = bit + i;
            c |= ((codes[region + (int) (b >>> 3)] >>> (b & 7)) & 1) << i;
        }
        return c;
    }

    private void putCode(byte[] codes, int region, int t, int c) {
        int k = p.codesPerByte();
        int bitsPer = p.pairCodeBits();
        if (k > 0) {
            int run = p.groupSize() / k;
            int shift = (t / run) * bitsPer;
            int idx = region + t % run;
            int mask = ((1 << bitsPer) - 1) << shift;
            codes[idx] = (byte) ((codes[idx] & ~mask) | (c << shift));
            return;
        }
        long bit = (long) t * bitsPer;
        for (int i = 0; i < bitsPer; i++) {
            long b = bit + i;
            int idx = region + (int) (b >>> 3);
            int m = 1 << (b & 7);
            codes[idx] = (byte) (((c >>> i) & 1) != 0 ? (codes[idx] | m) : (codes[idx] & ~m));
        }
    }

    /**
     * The per-stage view of a fine-grid index: stage {@code r}'s code on one axis is the
     * {@code bits}-wide digit {@code r} (most significant first), i.e. the greedy choice among the
     * {@code 2^bits} sub-cells of the previous stage's cell.
     */
    static int[] stageCodes(int index, int bits, int numResiduals) {
        int[] s = new int[numResiduals];
        for (int r = 0; r < numResiduals; r++) {
            s[r] = (index >>> (bits * (numResiduals - 1 - r))) & ((1 << bits) - 1);
        }
        return s;
    }
}
