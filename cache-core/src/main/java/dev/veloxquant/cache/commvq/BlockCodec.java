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
 * stream. Within a pair code the real axis is in the low {@code axisBits} bits. A head whose pairs
 * have their own widths ({@link PairLayout}, {@link PairBitAllocation}) keeps each pair as a bit
 * stream of its own width at its own offset; the block's code bytes are the same.
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
    private final float[] xs;
    private final float[] ys;
    private final float[] unit;
    private final short[] fitOut = new short[CommVQParams.META_PER_PAIR];
    private final float[] weights;
    /** Slots per axis in a calibrated level table ({@link LevelGrid#stride}). */
    private final int stride;
    private final PairLayout layout;
    /** Weight the grid fit by token norm² (flag for the fixture ablation). */
    static final boolean WEIGHTED_FIT = !Boolean.getBoolean("veloxquant.commvq.unweighted");

    BlockCodec(CommVQParams params) {
        this(params, PairLayout.uniform(params));
    }

    /** A codec for one head whose pairs are laid out (and sized) by {@code layout}. */
    BlockCodec(CommVQParams params, PairLayout layout) {
        this.p = params;
        this.layout = layout;
        this.pairs = params.pairs();
        this.headDim = params.headDim();
        this.first = new int[pairs];
        this.second = new int[pairs];
        for (int q = 0; q < pairs; q++) {
            first[q] = params.layout().first(q, headDim);
            second[q] = params.layout().second(q, headDim);
        }
        this.xs = new float[params.groupSize()];
        this.ys = new float[params.groupSize()];
        this.unit = new float[params.groupSize() * headDim];
        this.weights = new float[params.groupSize()];
        this.stride = LevelGrid.stride(layout.maxLevels());
    }

    CommVQParams params() {
        return p;
    }

    PairLayout layout() {
        return layout;
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
        encode(src, srcOff, srcStride, n, 0, codes, codeBase, meta, metaBase, norms, normBase, null);
    }

    void encode(float[] src, int srcOff, int srcStride, int n, int fitFrom, byte[] codes, int codeBase, short[] meta,
                int metaBase, short[] norms, int normBase) {
        encode(src, srcOff, srcStride, n, fitFrom, codes, codeBase, meta, metaBase, norms, normBase, null);
    }

    /**
     * As {@link #encode(float[], int, int, int, byte[], int, short[], int, short[], int)}, but the grids
     * are fitted to tokens {@code fitFrom..n-1} only (tokens before get the nearest, clamped codes):
     * the cache keeps attention-sink tokens exact elsewhere and keeps them from widening the grids.
     * {@code lv}: the head's calibrated level table ({@link LevelGrid}), or null for the uniform grid.
     */
    void encode(float[] src, int srcOff, int srcStride, int n, int fitFrom, byte[] codes, int codeBase, short[] meta,
                int metaBase, short[] norms, int normBase, float[] lv) {
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
        int fitN = n - fitFrom;
        // With token norms the error that matters is in key units: weight each token by its norm².
        float[] w = null;
        if (p.tokenNorm() && WEIGHTED_FIT) {
            w = weights;
            for (int t = fitFrom; t < n; t++) {
                float nf = Float.float16ToFloat(norms[normBase + t]);
                w[t - fitFrom] = nf * nf;
            }
        }
        for (int q = 0; q < pairs; q++) {
            for (int t = fitFrom; t < n; t++) {
                xs[t - fitFrom] = unit[t * headDim + first[q]];
                ys[t - fitFrom] = unit[t * headDim + second[q]];
            }
            int lq = layout.levels(q);
            if (lv != null) {
                fitLevels(q, fitN, w, lv, meta, metaBase);
            } else if (p.compactSteps()) {
                int cx = UniformGridFit.fitCompact(xs, w, fitN, lq, meta, metaBase + q);
                int cy = UniformGridFit.fitCompact(ys, w, fitN, lq, meta, metaBase + pairs + q);
                meta[metaBase + 2 * pairs + q] = (short) (cx | (cy << 8));
            } else {
                UniformGridFit.fit(xs, w, fitN, lq, fitOut, 0);
                UniformGridFit.fit(ys, w, fitN, lq, fitOut, 2);
                for (int i = 0; i < CommVQParams.META_PER_PAIR; i++) {
                    meta[metaBase + i * pairs + q] = fitOut[i];
                }
            }
            float loX = loX(meta, metaBase, q);
            float stX = stepX(meta, metaBase, q);
            float loY = loY(meta, metaBase, q);
            float stY = stepY(meta, metaBase, q);
            if (lv != null) {
                // Exact nearest centre of the whole product codebook = nearest level per axis.
                int ox = q * 2 * stride;
                int oy = ox + stride;
                for (int t = 0; t < n; t++) {
                    int a = LevelGrid.index(unit[t * headDim + first[q]], loX, stX, lv, ox, lq);
                    int b = LevelGrid.index(unit[t * headDim + second[q]], loY, stY, lv, oy, lq);
                    layout.put(codes, codeBase, q, t, a | (b << layout.axisBits(q)));
                }
                continue;
            }
            int ab = layout.axisBits(q);
            for (int t = 0; t < n; t++) {
                int a = UniformGridFit.index(unit[t * headDim + first[q]], loX, stX, lq);
                int b = UniformGridFit.index(unit[t * headDim + second[q]], loY, stY, lq);
                layout.put(codes, codeBase, q, t, a | (b << ab));
            }
        }
    }

    /** Writes the grid of pair {@code q} fitted to the calibrated levels, in the block's meta layout. */
    private void fitLevels(int q, int fitN, float[] w, float[] lv, short[] meta, int metaBase) {
        int ox = q * 2 * stride;
        int oy = ox + stride;
        int levels = layout.levels(q);
        if (p.compactSteps()) {
            int cx = LevelGrid.fitCompact(xs, w, fitN, lv, ox, levels, meta, metaBase + q);
            int cy = LevelGrid.fitCompact(ys, w, fitN, lv, oy, levels, meta, metaBase + pairs + q);
            meta[metaBase + 2 * pairs + q] = (short) (cx | (cy << 8));
        } else {
            LevelGrid.fitHalf(xs, w, fitN, lv, ox, levels, fitOut, 0);
            LevelGrid.fitHalf(ys, w, fitN, lv, oy, levels, fitOut, 2);
            for (int i = 0; i < CommVQParams.META_PER_PAIR; i++) {
                meta[metaBase + i * pairs + q] = fitOut[i];
            }
        }
    }

    /** Decodes {@code n} tokens of a block to pre-RoPE head vectors at {@code dst[dstOff + t·dstStride]}. */
    void decode(byte[] codes, int codeBase, short[] meta, int metaBase, short[] norms, int normBase, int n,
                float[] dst, int dstOff, int dstStride) {
        decode(codes, codeBase, meta, metaBase, norms, normBase, n, dst, dstOff, dstStride, null);
    }

    /** As above; {@code lv} the head's calibrated level table or null for the uniform grid. */
    void decode(byte[] codes, int codeBase, short[] meta, int metaBase, short[] norms, int normBase, int n,
                float[] dst, int dstOff, int dstStride, float[] lv) {
        if (lv != null) {
            for (int q = 0; q < pairs; q++) {
                float loX = loX(meta, metaBase, q);
                float stX = stepX(meta, metaBase, q);
                float loY = loY(meta, metaBase, q);
                float stY = stepY(meta, metaBase, q);
                int ox = q * 2 * stride;
                for (int t = 0; t < n; t++) {
                    int c = layout.code(codes, codeBase, q, t);
                    float nf = p.tokenNorm() ? Float.float16ToFloat(norms[normBase + t]) : 1f;
                    int o = dstOff + t * dstStride;
                    dst[o + first[q]] = LevelGrid.value(loX, stX, lv[ox + (c & layout.axisMask(q))]) * nf;
                    dst[o + second[q]] = LevelGrid.value(loY, stY, lv[ox + stride + (c >>> layout.axisBits(q))]) * nf;
                }
            }
            return;
        }
        for (int q = 0; q < pairs; q++) {
            float stX = stepX(meta, metaBase, q);
            float stY = stepY(meta, metaBase, q);
            float bX = UniformGridFit.base(loX(meta, metaBase, q), stX);
            float bY = UniformGridFit.base(loY(meta, metaBase, q), stY);
            int ab = layout.axisBits(q);
            int am = layout.axisMask(q);
            for (int t = 0; t < n; t++) {
                int c = layout.code(codes, codeBase, q, t);
                float nf = p.tokenNorm() ? Float.float16ToFloat(norms[normBase + t]) : 1f;
                int o = dstOff + t * dstStride;
                dst[o + first[q]] = UniformGridFit.value(bX, stX, c & am) * nf;
                dst[o + second[q]] = UniformGridFit.value(bY, stY, c >>> ab) * nf;
            }
        }
    }

    float loX(short[] meta, int base, int q) {
        return Float.float16ToFloat(meta[base + q]);
    }

    float loY(short[] meta, int base, int q) {
        return Float.float16ToFloat(meta[base + (p.compactSteps() ? pairs : 2 * pairs) + q]);
    }

    float stepX(short[] meta, int base, int q) {
        return p.compactSteps() ? UniformGridFit.LOG_STEPS[meta[base + 2 * pairs + q] & 0xFF]
                : Float.float16ToFloat(meta[base + pairs + q]);
    }

    float stepY(short[] meta, int base, int q) {
        return p.compactSteps() ? UniformGridFit.LOG_STEPS[(meta[base + 2 * pairs + q] >>> 8) & 0xFF]
                : Float.float16ToFloat(meta[base + 3 * pairs + q]);
    }

    /** The pair code (real axis low) of token {@code t} of pair {@code pair} in the block at {@code codeBase}. */
    int code(byte[] codes, int codeBase, int pair, int t) {
        return layout.code(codes, codeBase, pair, t);
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
