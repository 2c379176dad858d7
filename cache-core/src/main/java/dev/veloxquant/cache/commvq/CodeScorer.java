package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.simd.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention scores q·RoPE_t(decode(code_t)) straight from CommVQ codes of one head. The key's
 * rotation is split with {@link RopeTables}: per block the query is turned by {@code −t0·ω} (a few
 * multiply-adds per pair, once per block), per token the decoded pair by its in-block offset
 * {@code j·ω} from a small table. No angle, position or fp32 key is stored per token.
 *
 * <p>{@link #scoreBlocksScalar} is the plain reference; {@link #scoreBlocks} is the Vector API path
 * with lanes over consecutive tokens of a block (pair-major codes make each load one pair of
 * {@code VL} tokens), all queries of a GQA group fed from one decode. It falls back to the
 * reference for layouts it does not cover (pair codes wider than a byte, or runs of tokens shorter
 * than a vector).
 */
final class CodeScorer {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final int VL = FS.length();
    /** Bytes a code array should hold past its last block so the allocated pass's wide loads stay inside it. */
    static final int LOAD_SLACK = 4 * VL;
    private static final VectorSpecies<Byte> BS = byteSpecies(VL);
    /** Bytes as wide as a float vector (4·VL). */
    private static final VectorSpecies<Byte> BW = VectorSpecies.of(byte.class, FS.vectorShape());
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final VectorSpecies<Short> SS = shortSpecies();
    /** Queries scored together per pass over the codes; more are done in further passes. */
    private static final int QG = 4;

    private final CommVQParams p;
    private final RopeTables rope;
    private final BlockCodec codec;
    private final PairLayout layout;
    /**
     * Allocated layouts, per pair-code width w: lane l's four source bytes of a bit-stream chunk
     * ({@code widthIdx[w·4·VL + 4·l + i] = (l·w)/8 + i}) and its shift ({@code widthShift[w·VL + l] = (l·w) mod 8}).
     */
    private final byte[] widthIdx;
    private final int[] widthShift;
    private final int pairs;
    private final int g;
    private final int[] first;
    private final int[] second;
    // Per-block scratch: grid as floats, norms, rotated queries.
    private final float[] bX;
    private final float[] sX;
    private final float[] bY;
    private final float[] sY;
    private final float[] sYhi;
    private final float[] norm;
    // Per-block lo of each axis (calibrated levels decode as lo + step·u).
    private final float[] lX;
    private final float[] lY;
    private final int stride;
    // General path scratch: pair codes [pair·VL + lane], level indices, rotated decoded keys of two chunks.
    /** General-path scratch, allocated on its first use (a cache has one scorer per KV head and layer). */
    private int[] cs;
    private final int[] cx;
    private final int[] cy;
    private float[] xr;
    private float[] yr;
    private final byte[] tail;
    /** In-block rotation tables, padded by a vector when G < VL (the lanes past G read zeros). */
    private final float[] cosP;
    private final float[] sinP;
    private final float[] negSinP;
    /** Byte-split runs shorter than a vector: lane l reads byte l % run, shifted by shiftTab[chunk·VL + l]. */
    private final VectorShuffle<Byte> repeatRun;
    private final int[] shiftTab;
    /** Bit streams: lane l's 4 bytes from byte (l·bits)/8 (one permute of a float-vector-wide byte vector), shift (l·bits) % 8. */
    private final VectorShuffle<Byte> streamIdx;
    private final int[] streamShift;
    private float[] partial = new float[0];
    /** Interleaved fp16 window: in-block cos/sin per token in head-vector order, rotated queries interleaved. */
    private float[] cosI;
    private float[] sinI;
    private float[] wI = new float[0];
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromOp(FS, i -> i ^ 1);
    private float[] qRe = new float[0];
    private float[] qIm = new float[0];
    private float[] wa = new float[0];
    private float[] wb = new float[0];

    CodeScorer(CommVQParams params, RopeTables rope) {
        this(params, rope, PairLayout.uniform(params));
    }

    /** A scorer for one head whose pairs are laid out by {@code layout} ({@link PairBitAllocation}). */
    CodeScorer(CommVQParams params, RopeTables rope, PairLayout layout) {
        this.p = params;
        this.rope = rope;
        this.layout = layout;
        this.codec = new BlockCodec(params, layout);
        this.pairs = params.pairs();
        this.g = params.groupSize();
        this.first = new int[pairs];
        this.second = new int[pairs];
        for (int q = 0; q < pairs; q++) {
            first[q] = params.layout().first(q, params.headDim());
            second[q] = params.layout().second(q, params.headDim());
        }
        this.bX = new float[pairs];
        this.sX = new float[pairs];
        this.bY = new float[pairs];
        this.sY = new float[pairs];
        this.sYhi = new float[pairs];
        this.norm = new float[Math.max(g, VL)];
        this.lX = new float[pairs];
        this.lY = new float[pairs];
        this.stride = LevelGrid.stride(layout.maxLevels());
        this.cx = new int[VL];
        this.cy = new int[VL];
        this.tail = new byte[4 * VL];
        this.cosP = g >= VL ? rope.inCos : java.util.Arrays.copyOf(rope.inCos, pairs * g + VL);
        this.sinP = g >= VL ? rope.inSin : java.util.Arrays.copyOf(rope.inSin, pairs * g + VL);
        this.negSinP = g >= VL ? rope.inNegSin : java.util.Arrays.copyOf(rope.inNegSin, pairs * g + VL);
        int k = params.codesPerByte();
        int chunk = Math.min(g, VL);
        int run = k > 0 ? g / k : 0;
        if (k == 0 && VL >= 8) {
            int bitsPer = params.pairCodeBits();
            int[] idx = new int[4 * VL];
            this.streamShift = new int[VL];
            for (int l = 0; l < VL; l++) {
                for (int i = 0; i < 4; i++) {
                    idx[4 * l + i] = (l * bitsPer >>> 3) + i;
                }
                streamShift[l] = (l * bitsPer) & 7;
            }
            this.streamIdx = VectorShuffle.fromArray(BW, idx, 0);
        } else {
            this.streamIdx = null;
            this.streamShift = new int[0];
        }
        if (BS != null && k > 0 && run < chunk) {
            int[] idx = new int[VL];
            this.shiftTab = new int[(g / chunk) * VL];
            for (int l = 0; l < VL; l++) {
                idx[l] = l % run;
            }
            for (int c = 0; c < g / chunk; c++) {
                for (int l = 0; l < VL; l++) {
                    // lanes past the chunk (G < VL) shift their byte out: they carry code 0
                    shiftTab[c * VL + l] = l < chunk ? ((c * chunk + l) / run) * params.pairCodeBits() : 31;
                }
            }
            this.repeatRun = VectorShuffle.fromArray(BS, idx, 0);
        } else {
            this.repeatRun = null;
            this.shiftTab = new int[0];
        }
        int widths = 2 * PairBitAllocation.MAX_AXIS_BITS + 1;
        this.widthIdx = new byte[widths * 4 * VL];
        this.widthShift = new int[widths * VL];
        for (int pr = 0; pr < pairs && layout.allocated(); pr++) {
            int w = layout.pairCodeBits(pr);
            for (int l = 0; l < VL; l++) {
                for (int i = 0; i < 4; i++) {
                    widthIdx[w * 4 * VL + 4 * l + i] = (byte) ((l * w >>> 3) + i);
                }
                widthShift[w * VL + l] = (l * w) & 7;
            }
        }
    }

    private static VectorSpecies<Byte> byteSpecies(int lanes) {
        try {
            return VectorSpecies.of(byte.class, VectorShape.forBitSize(lanes * 8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static VectorSpecies<Short> shortSpecies() {
        try {
            return VectorSpecies.of(short.class, VectorShape.forBitSize(VL * 16));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether the fused fast path ({@link #scoreTwoChunks}) covers these parameters: one to four pair
     * codes per byte with runs of whole vectors, at least two vectors per block, pairs a multiple of VL.
     */
    boolean fastPath() {
        int k = p.codesPerByte();
        return !layout.allocated() && BS != null && SS != null && k > 0 && (g / k) % VL == 0 && g / VL >= 2 && pairs % VL == 0;
    }

    /**
     * Whether {@link #scoreBlocks} scores through a Vector API path (with or without a level table):
     * true for every valid configuration with vectors of at least 4 float lanes; the fast path where it
     * applies, else the general path ({@link #scoreGeneral}). False only without usable vectors.
     */
    boolean vectorized() {
        return VL >= 4;
    }

    PairLayout layout() {
        return layout;
    }

    /** Which path {@link #scoreBlocks} takes: "fast", "levels" (fused with a level shuffle), "general" or "scalar". */
    String path(boolean levels) {
        if (!vectorized()) {
            return "scalar";
        }
        if (layout.allocated()) {
            return allocatedPath() ? "allocated" : "general";
        }
        if (levels) {
            return fastPath() && p.levels() <= VL ? "levels" : "general";
        }
        return fastPath() ? "fast" : "general";
    }

    /** Bits of a code that indexes one vector of levels. */
    private static final int VL_BITS = Integer.numberOfTrailingZeros(VL);
    private float[] checkedTable;
    private boolean checkedFits;

    /**
     * Whether the fused allocated pass can read this level table: axes of up to VL levels by shuffle,
     * wider ones only if their levels are the uniform {@code i + ½} (the calibration fits shapes up to
     * 16 levels per axis). Checked once per table.
     */
    private boolean tablesFit(float[] lv) {
        if (lv != checkedTable) {
            boolean fits = true;
            for (int pr = 0; pr < pairs && fits; pr++) {
                if (layout.axisBits(pr) > VL_BITS) {
                    for (int a = 0; a < 2 && fits; a++) {
                        for (int i = 0; i < layout.levels(pr); i++) {
                            if (lv[(pr * 2 + a) * stride + i] != i + 0.5f) {
                                fits = false;
                                break;
                            }
                        }
                    }
                }
            }
            checkedFits = fits;
            checkedTable = lv;
        }
        return checkedFits;
    }

    /** Whether the fused path for allocated widths ({@link #scoreAllocatedTwoChunks}) applies: whole vectors per chunk, two or more chunks per block. */
    private boolean allocatedPath() {
        return layout.allocated() && BS != null && VL >= 8 && g % VL == 0 && g / VL >= 2 && g / VL % 2 == 0 && pairs % VL == 0;
    }

    /**
     * Scores tokens {@code [0, blocks·G)} into {@code out[outOff + qi·outStride + t]}.
     */
    void scoreBlocks(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride) {
        scoreBlocks(codes, meta, norms, blocks, q, qOff, numQueries, out, outOff, outStride, null);
    }

    /** Whether {@link #scoreBlocks} runs a vector path with a calibrated level table (shuffle or gather): as {@link #vectorized}. */
    boolean vectorizedLevels() {
        return vectorized();
    }

    /** As above with the head's calibrated level table {@code lv} ({@link LevelGrid}), null for the uniform grid. */
    void scoreBlocks(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride, float[] lv) {
        scoreBlockRange(codes, meta, norms, 0, blocks, q, qOff, numQueries, out, outOff, outStride, lv);
    }

    /**
     * Scores the encoded tokens {@code [from, to)} (any bounds inside the encoded blocks) with the
     * vector paths: whole blocks directly, a block cut by {@code from} or {@code to} into a scratch
     * row first (the whole block is scored, the part asked for copied).
     */
    void scoreTokens(byte[] codes, short[] meta, short[] norms, int from, int to, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride, float[] lv) {
        if (from >= to) {
            return;
        }
        if (!vectorized()) {
            scoreTokensScalar(codes, meta, norms, from, to, q, qOff, numQueries, out, outOff, outStride, lv);
            return;
        }
        int b = from / g;
        while (b * g < to) {
            int lo = Math.max(from, b * g);
            int hi = Math.min(to, (b + 1) * g);
            if (lo == b * g && hi == (b + 1) * g) {
                int end = b + 1;
                while ((end + 1) * g <= to) {
                    end++;
                }
                scoreBlockRange(codes, meta, norms, b, end, q, qOff, numQueries, out, outOff, outStride, lv);
                b = end;
            } else {
                scorePartial(codes, meta, norms, b, lo, hi, q, qOff, numQueries, out, outOff, outStride, lv);
                b++;
            }
        }
    }

    private void scorePartial(byte[] codes, short[] meta, short[] norms, int b, int from, int to, float[] q, int qOff,
                              int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        if (from >= to) {
            return;
        }
        if (partial.length < numQueries * g) {
            partial = new float[numQueries * g];
        }
        // out index in scoreBlockRange: outOff + qi·outStride + b·g + j; with outOff = −b·g it is qi·g + j
        scoreBlockRange(codes, meta, norms, b, b + 1, q, qOff, numQueries, partial, -b * g, g, lv);
        for (int qi = 0; qi < numQueries; qi++) {
            System.arraycopy(partial, qi * g + (from - b * g), out, outOff + qi * outStride + from, to - from);
        }
    }

    private void scoreBlockRange(byte[] codes, short[] meta, short[] norms, int b0, int b1, float[] q, int qOff,
                                 int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        if (b0 >= b1) {
            return;
        }
        String path = path(lv != null);
        if (path.equals("allocated") && lv != null && !tablesFit(lv)) {
            path = "general";
        }
        switch (path) {
            case "scalar" -> scoreTokensScalar(codes, meta, norms, b0 * g, b1 * g, q, qOff, numQueries, out, outOff,
                    outStride, lv);
            case "levels" -> scoreBlocksLevels(codes, meta, norms, b0, b1, q, qOff, numQueries, out, outOff, outStride,
                    lv);
            case "general" -> scoreGeneral(codes, meta, norms, b0, b1, q, qOff, numQueries, out, outOff, outStride, lv);
            case "allocated" -> scoreAllocated(codes, meta, norms, b0, b1, q, qOff, numQueries, out, outOff, outStride, lv);
            default -> scoreFast(codes, meta, norms, b0, b1, q, qOff, numQueries, out, outOff, outStride);
        }
    }

    private void scoreFast(byte[] codes, short[] meta, short[] norms, int b0, int blocks, float[] q, int qOff,
                           int numQueries, float[] out, int outOff, int outStride) {
        float[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int run = g / p.codesPerByte();
        int pairBits = p.pairCodeBits();
        splitQueries(q, qOff, numQueries);
        for (int b = b0; b < blocks; b++) {
            loadBlockVector(meta, b * blockMeta, norms, b * g);
            rotateQueriesVector(starts, b, numQueries);
            int codeBase = b * blockBytes;
            int t0 = b * g;
            // Two chunks of VL tokens per pass: the per-pair broadcasts (grid, rotated queries) serve both.
            for (int c = 0; c < g / VL; c += 2) {
                int mA = (c * VL) / run;
                int offA = codeBase + c * VL - mA * run;
                int shA = mA * pairBits;
                int mB = ((c + 1) * VL) / run;
                int offB = codeBase + (c + 1) * VL - mB * run;
                int shB = mB * pairBits;
                int eA = c * VL;
                for (int q0 = 0; q0 < numQueries; q0 += QG) {
                    scoreTwoChunks(codes, offA, shA, offB, shB, eA, q0 * pairs, Math.min(QG, numQueries - q0),
                            out, outOff + t0 + c * VL + q0 * outStride, outStride, c * VL);
                }
            }
        }
    }

    /**
     * The hot loop: two chunks of VL tokens of one block against up to four queries (rotated weights
     * from {@code wa/wb[w0 ..]}), over every pair. Kept apart so the JIT compiles it whole with every
     * vector operation intrinsified (one large method can exceed the inlining budget, and a vector
     * operation that is not inlined boxes its vectors).
     */
    private void scoreTwoChunks(byte[] codes, int offA, int shA, int offB, int shB, int eA, int w0, int m,
                                float[] out, int o, int outStride, int normOff) {
        int pairBytes = p.pairBlockBytes();
        int axisBits = p.axisBits();
        int axisMask = (1 << axisBits) - 1;
        float[] inCos = rope.inCos;
        float[] inSin = rope.inSin;
        float[] inNegSin = rope.inNegSin;
        boolean wholeByte = p.codesPerByte() == 1;
        int hiMask = axisMask << axisBits;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int pr = 0; pr < pairs; pr++) {
            FloatVector sx = FloatVector.broadcast(FS, sX[pr]);
            FloatVector bx = FloatVector.broadcast(FS, bX[pr]);
            FloatVector sy = FloatVector.broadcast(FS, sY[pr]);
            FloatVector by = FloatVector.broadcast(FS, bY[pr]);
            int e = pr * g + eA;
            FloatVector xrA;
            FloatVector yrA;
            FloatVector xrB;
            FloatVector yrB;
            // Codes widen to int lanes (zero-extended: x86 has no byte shifts); each axis is masked out and
            // converted. With one pair code per byte the imaginary axis is not shifted down: its step was
            // divided by 2^axisBits instead (sYhi).
            IntVector iv = (IntVector) ByteVector.fromArray(BS, codes, offA + pr * pairBytes)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector jv = (IntVector) ByteVector.fromArray(BS, codes, offB + pr * pairBytes)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            FloatVector yA;
            FloatVector yB;
            if (wholeByte) {
                FloatVector syh = FloatVector.broadcast(FS, sYhi[pr]);
                yA = ((FloatVector) iv.and(hiMask).convert(VectorOperators.I2F, 0)).fma(syh, by);
                yB = ((FloatVector) jv.and(hiMask).convert(VectorOperators.I2F, 0)).fma(syh, by);
            } else {
                iv = iv.lanewise(VectorOperators.LSHR, shA);
                jv = jv.lanewise(VectorOperators.LSHR, shB);
                yA = ((FloatVector) iv.lanewise(VectorOperators.LSHR, axisBits).and(axisMask)
                        .convert(VectorOperators.I2F, 0)).fma(sy, by);
                yB = ((FloatVector) jv.lanewise(VectorOperators.LSHR, axisBits).and(axisMask)
                        .convert(VectorOperators.I2F, 0)).fma(sy, by);
            }
            FloatVector xA = ((FloatVector) iv.and(axisMask).convert(VectorOperators.I2F, 0)).fma(sx, bx);
            FloatVector xB = ((FloatVector) jv.and(axisMask).convert(VectorOperators.I2F, 0)).fma(sx, bx);
            // rotate each key pair by its in-block offset j·ω
            FloatVector ec = FloatVector.fromArray(FS, inCos, e);
            xrA = xA.fma(ec, yA.mul(FloatVector.fromArray(FS, inNegSin, e)));
            yrA = xA.fma(FloatVector.fromArray(FS, inSin, e), yA.mul(ec));
            ec = FloatVector.fromArray(FS, inCos, e + VL);
            xrB = xB.fma(ec, yB.mul(FloatVector.fromArray(FS, inNegSin, e + VL)));
            yrB = xB.fma(FloatVector.fromArray(FS, inSin, e + VL), yB.mul(ec));
            int w = w0 + pr;
            FloatVector wav = FloatVector.broadcast(FS, wa[w]);
            FloatVector wbv = FloatVector.broadcast(FS, wb[w]);
            a0 = xrA.fma(wav, yrA.fma(wbv, a0));
            b0 = xrB.fma(wav, yrB.fma(wbv, b0));
            if (m > 1) {
                wav = FloatVector.broadcast(FS, wa[w + pairs]);
                wbv = FloatVector.broadcast(FS, wb[w + pairs]);
                a1 = xrA.fma(wav, yrA.fma(wbv, a1));
                b1 = xrB.fma(wav, yrB.fma(wbv, b1));
                if (m > 2) {
                    wav = FloatVector.broadcast(FS, wa[w + 2 * pairs]);
                    wbv = FloatVector.broadcast(FS, wb[w + 2 * pairs]);
                    a2 = xrA.fma(wav, yrA.fma(wbv, a2));
                    b2 = xrB.fma(wav, yrB.fma(wbv, b2));
                    if (m > 3) {
                        wav = FloatVector.broadcast(FS, wa[w + 3 * pairs]);
                        wbv = FloatVector.broadcast(FS, wb[w + 3 * pairs]);
                        a3 = xrA.fma(wav, yrA.fma(wbv, a3));
                        b3 = xrB.fma(wav, yrB.fma(wbv, b3));
                    }
                }
            }
        }
        FloatVector nA = FloatVector.fromArray(FS, norm, normOff);
        FloatVector nB = FloatVector.fromArray(FS, norm, normOff + VL);
        a0.mul(nA).intoArray(out, o);
        b0.mul(nB).intoArray(out, o + VL);
        if (m > 1) {
            a1.mul(nA).intoArray(out, o + outStride);
            b1.mul(nB).intoArray(out, o + outStride + VL);
        }
        if (m > 2) {
            a2.mul(nA).intoArray(out, o + 2 * outStride);
            b2.mul(nB).intoArray(out, o + 2 * outStride + VL);
        }
        if (m > 3) {
            a3.mul(nA).intoArray(out, o + 3 * outStride);
            b3.mul(nB).intoArray(out, o + 3 * outStride + VL);
        }
    }

    /** {@link #scoreFast} for an allocated layout: the same fused pass, each pair unpacked at its own width. */
    private void scoreAllocated(byte[] codes, short[] meta, short[] norms, int b0, int blocks, float[] q, int qOff,
                                int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        float[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        splitQueries(q, qOff, numQueries);
        for (int b = b0; b < blocks; b++) {
            int codeBase = b * blockBytes;
            if (codeBase + blockBytes + 4 * VL > codes.length) {
                // the wide loads of the last pairs would run past the array: this block takes the general path
                scoreGeneral(codes, meta, norms, b, b + 1, q, qOff, numQueries, out, outOff, outStride, lv);
                continue;
            }
            loadBlockVector(meta, b * blockMeta, norms, b * g);
            rotateQueriesVector(starts, b, numQueries);
            int t0 = b * g;
            for (int c = 0; c < g / VL; c += 2) {
                for (int q0 = 0; q0 < numQueries; q0 += QG) {
                    if (lv == null) {
                        scoreAllocatedTwoChunks(codes, codeBase, c * VL, q0 * pairs, Math.min(QG, numQueries - q0),
                                out, outOff + t0 + c * VL + q0 * outStride, outStride);
                    } else {
                        scoreAllocatedTwoChunksLevels(codes, codeBase, c * VL, q0 * pairs, Math.min(QG, numQueries - q0),
                                out, outOff + t0 + c * VL + q0 * outStride, outStride, lv);
                    }
                }
            }
        }
    }

    /**
     * {@link #scoreTwoChunks} for an allocated layout: tokens {@code eA .. eA + 2·VL} of one block
     * against up to four queries, every pair unpacked from its own bit stream and width.
     */
    private void scoreAllocatedTwoChunks(byte[] codes, int codeBase, int eA, int w0, int m, float[] out, int o,
                                         int outStride) {
        float[] inCos = rope.inCos;
        float[] inSin = rope.inSin;
        float[] inNegSin = rope.inNegSin;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int pr = 0; pr < pairs; pr++) {
            int w = layout.pairCodeBits(pr);
            int axisBits = layout.axisBits(pr);
            int axisMask = (1 << axisBits) - 1;
            int from = codeBase + layout.offset(pr) + (eA * w >>> 3);
            IntVector iv;
            IntVector jv;
            if (w == 8) {
                // byte codes: one load and a widening, as the fast path
                iv = (IntVector) ByteVector.fromArray(BS, codes, from).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                jv = (IntVector) ByteVector.fromArray(BS, codes, from + VL).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            } else {
                // lane l: the four bytes from (l·w)/8 by one byte permute, shifted by (l·w) mod 8, masked to w bits
                ByteVector idx = ByteVector.fromArray(BW, widthIdx, w * 4 * VL);
                IntVector sh = IntVector.fromArray(IS, widthShift, w * VL);
                int codeMask = (1 << w) - 1;
                iv = ((IntVector) idx.selectFrom(ByteVector.fromArray(BW, codes, from)).reinterpretAsInts())
                        .lanewise(VectorOperators.LSHR, sh).and(codeMask);
                jv = ((IntVector) idx.selectFrom(ByteVector.fromArray(BW, codes, from + (VL * w >>> 3)))
                        .reinterpretAsInts()).lanewise(VectorOperators.LSHR, sh).and(codeMask);
            }
            FloatVector sx = FloatVector.broadcast(FS, sX[pr]);
            FloatVector sy = FloatVector.broadcast(FS, sY[pr]);
            IntVector ixA = iv.and(axisMask);
            IntVector ixB = jv.and(axisMask);
            IntVector iyA = iv.lanewise(VectorOperators.LSHR, axisBits);
            IntVector iyB = jv.lanewise(VectorOperators.LSHR, axisBits);
            FloatVector bx = FloatVector.broadcast(FS, bX[pr]);
            FloatVector by = FloatVector.broadcast(FS, bY[pr]);
            FloatVector xA = ((FloatVector) ixA.convert(VectorOperators.I2F, 0)).fma(sx, bx);
            FloatVector xB = ((FloatVector) ixB.convert(VectorOperators.I2F, 0)).fma(sx, bx);
            FloatVector yA = ((FloatVector) iyA.convert(VectorOperators.I2F, 0)).fma(sy, by);
            FloatVector yB = ((FloatVector) iyB.convert(VectorOperators.I2F, 0)).fma(sy, by);
            int e = pr * g + eA;
            FloatVector ec = FloatVector.fromArray(FS, inCos, e);
            FloatVector xrA = xA.fma(ec, yA.mul(FloatVector.fromArray(FS, inNegSin, e)));
            FloatVector yrA = xA.fma(FloatVector.fromArray(FS, inSin, e), yA.mul(ec));
            ec = FloatVector.fromArray(FS, inCos, e + VL);
            FloatVector xrB = xB.fma(ec, yB.mul(FloatVector.fromArray(FS, inNegSin, e + VL)));
            FloatVector yrB = xB.fma(FloatVector.fromArray(FS, inSin, e + VL), yB.mul(ec));
            int wi = w0 + pr;
            FloatVector wav = FloatVector.broadcast(FS, wa[wi]);
            FloatVector wbv = FloatVector.broadcast(FS, wb[wi]);
            a0 = xrA.fma(wav, yrA.fma(wbv, a0));
            b0 = xrB.fma(wav, yrB.fma(wbv, b0));
            if (m > 1) {
                wav = FloatVector.broadcast(FS, wa[wi + pairs]);
                wbv = FloatVector.broadcast(FS, wb[wi + pairs]);
                a1 = xrA.fma(wav, yrA.fma(wbv, a1));
                b1 = xrB.fma(wav, yrB.fma(wbv, b1));
                if (m > 2) {
                    wav = FloatVector.broadcast(FS, wa[wi + 2 * pairs]);
                    wbv = FloatVector.broadcast(FS, wb[wi + 2 * pairs]);
                    a2 = xrA.fma(wav, yrA.fma(wbv, a2));
                    b2 = xrB.fma(wav, yrB.fma(wbv, b2));
                    if (m > 3) {
                        wav = FloatVector.broadcast(FS, wa[wi + 3 * pairs]);
                        wbv = FloatVector.broadcast(FS, wb[wi + 3 * pairs]);
                        a3 = xrA.fma(wav, yrA.fma(wbv, a3));
                        b3 = xrB.fma(wav, yrB.fma(wbv, b3));
                    }
                }
            }
        }
        FloatVector nA = FloatVector.fromArray(FS, norm, eA);
        FloatVector nB = FloatVector.fromArray(FS, norm, eA + VL);
        a0.mul(nA).intoArray(out, o);
        b0.mul(nB).intoArray(out, o + VL);
        if (m > 1) {
            a1.mul(nA).intoArray(out, o + outStride);
            b1.mul(nB).intoArray(out, o + outStride + VL);
        }
        if (m > 2) {
            a2.mul(nA).intoArray(out, o + 2 * outStride);
            b2.mul(nB).intoArray(out, o + 2 * outStride + VL);
        }
        if (m > 3) {
            a3.mul(nA).intoArray(out, o + 3 * outStride);
            b3.mul(nB).intoArray(out, o + 3 * outStride + VL);
        }
    }

    /**
     * {@link #scoreAllocatedTwoChunks} with a calibrated level table {@code lv} (kept apart so each
     * loop stays small enough for the JIT to keep every vector in registers).
     */
    private void scoreAllocatedTwoChunksLevels(byte[] codes, int codeBase, int eA, int w0, int m, float[] out, int o,
                                         int outStride, float[] lv) {
        float[] inCos = rope.inCos;
        float[] inSin = rope.inSin;
        float[] inNegSin = rope.inNegSin;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int pr = 0; pr < pairs; pr++) {
            int w = layout.pairCodeBits(pr);
            int axisBits = layout.axisBits(pr);
            int axisMask = (1 << axisBits) - 1;
            int from = codeBase + layout.offset(pr) + (eA * w >>> 3);
            IntVector iv;
            IntVector jv;
            if (w == 8) {
                // byte codes: one load and a widening, as the fast path
                iv = (IntVector) ByteVector.fromArray(BS, codes, from).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                jv = (IntVector) ByteVector.fromArray(BS, codes, from + VL).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            } else {
                // lane l: the four bytes from (l·w)/8 by one byte permute, shifted by (l·w) mod 8, masked to w bits
                ByteVector idx = ByteVector.fromArray(BW, widthIdx, w * 4 * VL);
                IntVector sh = IntVector.fromArray(IS, widthShift, w * VL);
                int codeMask = (1 << w) - 1;
                iv = ((IntVector) idx.selectFrom(ByteVector.fromArray(BW, codes, from)).reinterpretAsInts())
                        .lanewise(VectorOperators.LSHR, sh).and(codeMask);
                jv = ((IntVector) idx.selectFrom(ByteVector.fromArray(BW, codes, from + (VL * w >>> 3)))
                        .reinterpretAsInts()).lanewise(VectorOperators.LSHR, sh).and(codeMask);
            }
            FloatVector sx = FloatVector.broadcast(FS, sX[pr]);
            FloatVector sy = FloatVector.broadcast(FS, sY[pr]);
            IntVector ixA = iv.and(axisMask);
            IntVector ixB = jv.and(axisMask);
            IntVector iyA = iv.lanewise(VectorOperators.LSHR, axisBits);
            IntVector iyB = jv.lanewise(VectorOperators.LSHR, axisBits);
            FloatVector xA;
            FloatVector xB;
            FloatVector yA;
            FloatVector yB;
            if (axisBits <= VL_BITS) {
                // calibrated levels: the level by lane shuffle from the axis's table (one vector)
                FloatVector lx = FloatVector.broadcast(FS, lX[pr]);
                FloatVector ly = FloatVector.broadcast(FS, lY[pr]);
                // the table as int bits, looked up by the codes (one lane permute), read back as floats
                IntVector tx = FloatVector.fromArray(FS, lv, pr * 2 * stride).reinterpretAsInts();
                IntVector ty = FloatVector.fromArray(FS, lv, (pr * 2 + 1) * stride).reinterpretAsInts();
                xA = ixA.selectFrom(tx).reinterpretAsFloats().fma(sx, lx);
                xB = ixB.selectFrom(tx).reinterpretAsFloats().fma(sx, lx);
                yA = iyA.selectFrom(ty).reinterpretAsFloats().fma(sy, ly);
                yB = iyB.selectFrom(ty).reinterpretAsFloats().fma(sy, ly);
            } else {
                // a wider axis keeps the uniform levels u_i = i + ½ ({@link #tablesFit}): lo + step·(i + ½)
                FloatVector lx = FloatVector.broadcast(FS, lX[pr]);
                FloatVector ly = FloatVector.broadcast(FS, lY[pr]);
                xA = ((FloatVector) ixA.convert(VectorOperators.I2F, 0)).add(0.5f).fma(sx, lx);
                xB = ((FloatVector) ixB.convert(VectorOperators.I2F, 0)).add(0.5f).fma(sx, lx);
                yA = ((FloatVector) iyA.convert(VectorOperators.I2F, 0)).add(0.5f).fma(sy, ly);
                yB = ((FloatVector) iyB.convert(VectorOperators.I2F, 0)).add(0.5f).fma(sy, ly);
            }
            int e = pr * g + eA;
            FloatVector ec = FloatVector.fromArray(FS, inCos, e);
            FloatVector xrA = xA.fma(ec, yA.mul(FloatVector.fromArray(FS, inNegSin, e)));
            FloatVector yrA = xA.fma(FloatVector.fromArray(FS, inSin, e), yA.mul(ec));
            ec = FloatVector.fromArray(FS, inCos, e + VL);
            FloatVector xrB = xB.fma(ec, yB.mul(FloatVector.fromArray(FS, inNegSin, e + VL)));
            FloatVector yrB = xB.fma(FloatVector.fromArray(FS, inSin, e + VL), yB.mul(ec));
            int wi = w0 + pr;
            FloatVector wav = FloatVector.broadcast(FS, wa[wi]);
            FloatVector wbv = FloatVector.broadcast(FS, wb[wi]);
            a0 = xrA.fma(wav, yrA.fma(wbv, a0));
            b0 = xrB.fma(wav, yrB.fma(wbv, b0));
            if (m > 1) {
                wav = FloatVector.broadcast(FS, wa[wi + pairs]);
                wbv = FloatVector.broadcast(FS, wb[wi + pairs]);
                a1 = xrA.fma(wav, yrA.fma(wbv, a1));
                b1 = xrB.fma(wav, yrB.fma(wbv, b1));
                if (m > 2) {
                    wav = FloatVector.broadcast(FS, wa[wi + 2 * pairs]);
                    wbv = FloatVector.broadcast(FS, wb[wi + 2 * pairs]);
                    a2 = xrA.fma(wav, yrA.fma(wbv, a2));
                    b2 = xrB.fma(wav, yrB.fma(wbv, b2));
                    if (m > 3) {
                        wav = FloatVector.broadcast(FS, wa[wi + 3 * pairs]);
                        wbv = FloatVector.broadcast(FS, wb[wi + 3 * pairs]);
                        a3 = xrA.fma(wav, yrA.fma(wbv, a3));
                        b3 = xrB.fma(wav, yrB.fma(wbv, b3));
                    }
                }
            }
        }
        FloatVector nA = FloatVector.fromArray(FS, norm, eA);
        FloatVector nB = FloatVector.fromArray(FS, norm, eA + VL);
        a0.mul(nA).intoArray(out, o);
        b0.mul(nB).intoArray(out, o + VL);
        if (m > 1) {
            a1.mul(nA).intoArray(out, o + outStride);
            b1.mul(nB).intoArray(out, o + outStride + VL);
        }
        if (m > 2) {
            a2.mul(nA).intoArray(out, o + 2 * outStride);
            b2.mul(nB).intoArray(out, o + 2 * outStride + VL);
        }
        if (m > 3) {
            a3.mul(nA).intoArray(out, o + 3 * outStride);
            b3.mul(nB).intoArray(out, o + 3 * outStride + VL);
        }
    }

    /**
     * {@link #scoreBlocks} with a calibrated level table: as the uniform path, but each axis code picks
     * its level {@code u} from the pair's table by a lane shuffle (the table fits one vector), then
     * {@code lo + step·u} as {@link LevelGrid#value}.
     */
    private void scoreBlocksLevels(byte[] codes, short[] meta, short[] norms, int b0, int blocks, float[] q, int qOff,
                                   int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        float[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int run = g / p.codesPerByte();
        int pairBits = p.pairCodeBits();
        splitQueries(q, qOff, numQueries);
        for (int b = b0; b < blocks; b++) {
            loadBlock(meta, b * blockMeta, norms, b * g);
            rotateQueriesVector(starts, b, numQueries);
            int codeBase = b * blockBytes;
            int t0 = b * g;
            for (int c = 0; c < g / VL; c++) {
                int m = (c * VL) / run;
                int off = codeBase + c * VL - m * run;
                for (int q0 = 0; q0 < numQueries; q0 += QG) {
                    scoreChunkLevels(codes, off, m * pairBits, c * VL, q0 * pairs, Math.min(QG, numQueries - q0),
                            out, outOff + t0 + c * VL + q0 * outStride, outStride, lv);
                }
            }
        }
    }

    /** One chunk of VL tokens against up to four queries, every pair; levels looked up by shuffle. */
    private void scoreChunkLevels(byte[] codes, int off, int shift, int e0, int w0, int m, float[] out, int o,
                                  int outStride, float[] lv) {
        int pairBytes = p.pairBlockBytes();
        int axisBits = p.axisBits();
        int axisMask = (1 << axisBits) - 1;
        float[] inCos = rope.inCos;
        float[] inSin = rope.inSin;
        float[] inNegSin = rope.inNegSin;
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int pr = 0; pr < pairs; pr++) {
            IntVector iv = ((IntVector) ByteVector.fromArray(BS, codes, off + pr * pairBytes)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0)).lanewise(VectorOperators.LSHR, shift);
            // levels by one lane permute of the table's bits (selectFrom: no shuffle conversion)
            FloatVector ux = iv.and(axisMask).selectFrom(FloatVector.fromArray(FS, lv, pr * 2 * stride)
                    .reinterpretAsInts()).reinterpretAsFloats();
            FloatVector uy = iv.lanewise(VectorOperators.LSHR, axisBits).and(axisMask)
                    .selectFrom(FloatVector.fromArray(FS, lv, (pr * 2 + 1) * stride).reinterpretAsInts()).reinterpretAsFloats();
            FloatVector x = ux.fma(FloatVector.broadcast(FS, sX[pr]), FloatVector.broadcast(FS, lX[pr]));
            FloatVector y = uy.fma(FloatVector.broadcast(FS, sY[pr]), FloatVector.broadcast(FS, lY[pr]));
            int e = pr * g + e0;
            FloatVector ec = FloatVector.fromArray(FS, inCos, e);
            FloatVector xr = x.fma(ec, y.mul(FloatVector.fromArray(FS, inNegSin, e)));
            FloatVector yr = x.fma(FloatVector.fromArray(FS, inSin, e), y.mul(ec));
            int w = w0 + pr;
            a0 = xr.fma(FloatVector.broadcast(FS, wa[w]), yr.fma(FloatVector.broadcast(FS, wb[w]), a0));
            if (m > 1) {
                a1 = xr.fma(FloatVector.broadcast(FS, wa[w + pairs]), yr.fma(FloatVector.broadcast(FS, wb[w + pairs]), a1));
                if (m > 2) {
                    a2 = xr.fma(FloatVector.broadcast(FS, wa[w + 2 * pairs]),
                            yr.fma(FloatVector.broadcast(FS, wb[w + 2 * pairs]), a2));
                    if (m > 3) {
                        a3 = xr.fma(FloatVector.broadcast(FS, wa[w + 3 * pairs]),
                                yr.fma(FloatVector.broadcast(FS, wb[w + 3 * pairs]), a3));
                    }
                }
            }
        }
        FloatVector n = FloatVector.fromArray(FS, norm, e0);
        a0.mul(n).intoArray(out, o);
        if (m > 1) {
            a1.mul(n).intoArray(out, o + outStride);
        }
        if (m > 2) {
            a2.mul(n).intoArray(out, o + 2 * outStride);
        }
        if (m > 3) {
            a3.mul(n).intoArray(out, o + 3 * outStride);
        }
    }


    // ---- General path: any code width, group size, level table size and pair count ----

    /**
     * Vector path for what {@link #scoreFast} does not cover. Per block and chunk of {@code L =
     * min(G, VL)} tokens: (1) the pair codes of each pair are unpacked to {@code cs[pair·VL + lane]}
     * (vector shifts for the byte-split layouts, a scalar bit reader for bit streams); (2) each pair is
     * dequantized (uniform grid, level shuffle, or level gather for tables wider than a vector) and
     * turned by its in-block offset {@code j·ω} into {@code xr/yr}, lanes over tokens; (3) up to four
     * queries at a time take their dot over the pairs from {@code xr/yr}, two chunks per pass. With
     * {@code G < VL} the lanes past {@code G} carry zeros and are not stored.
     */
    private void scoreGeneral(byte[] codes, short[] meta, short[] norms, int b0, int b1, float[] q, int qOff,
                              int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        if (cs == null) {
            cs = new int[pairs * VL];
            xr = new float[2 * pairs * VL];
            yr = new float[2 * pairs * VL];
        }
        float[][] starts = rope.blockStarts(b1);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int chunk = Math.min(g, VL);
        int chunks = g / chunk;
        boolean vecRows = pairs % VL == 0;
        boolean vecGrid = lv == null && vecRows && g >= VL;
        int dq = lv == null ? 0 : layout.maxLevels() <= VL ? 1 : 2;
        if (vecRows) {
            splitQueries(q, qOff, numQueries);
        }
        for (int b = b0; b < b1; b++) {
            if (vecGrid) {
                loadBlockVector(meta, b * blockMeta, norms, b * g);
            } else {
                loadBlock(meta, b * blockMeta, norms, b * g);
            }
            if (vecRows) {
                rotateQueriesVector(starts, b, numQueries);
            } else {
                rotateQueries(starts, b, q, qOff, numQueries);
            }
            int codeBase = b * blockBytes;
            int t0 = b * g;
            for (int c = 0; c < chunks; c += 2) {
                boolean two = c + 1 < chunks;
                for (int k = 0; k < (two ? 2 : 1); k++) {
                    int j0 = (c + k) * chunk;
                    unpack(codes, codeBase, c + k, j0);
                    int slot = k * pairs * VL;
                    switch (dq) {
                        case 0 -> dequantUniform(j0, slot);
                        case 1 -> dequantShuffle(j0, slot, lv);
                        default -> dequantGather(j0, slot, lv);
                    }
                }
                int j0 = c * chunk;
                for (int q0 = 0; q0 < numQueries; q0 += QG) {
                    int m = Math.min(QG, numQueries - q0);
                    int o = outOff + t0 + j0 + q0 * outStride;
                    if (two) {
                        dotTwoChunks(q0 * pairs, m, out, o, outStride, j0);
                    } else {
                        dotChunk(q0 * pairs, m, out, o, outStride, j0, chunk);
                    }
                }
            }
        }
    }

    /** Pair codes of tokens {@code j0 .. j0+L} of every pair of one block into {@code cs[pair·VL + lane]}. */
    private void unpack(byte[] codes, int codeBase, int c, int j0) {
        if (layout.allocated()) {
            unpackAllocated(codes, codeBase, j0);
            return;
        }
        int pairBytes = p.pairBlockBytes();
        int bitsPer = p.pairCodeBits();
        int k = p.codesPerByte();
        int chunk = Math.min(g, VL);
        if (k > 0 && BS != null) {
            int run = g / k;
            int pairMask = (1 << bitsPer) - 1;
            if (run >= chunk) {
                // consecutive bytes, one shift for the chunk (run ≥ VL here means pairs % VL != 0 or G = VL)
                int off = codeBase + j0 % run;
                int shift = (j0 / run) * bitsPer;
                for (int pr = 0; pr < pairs; pr++) {
                    ((IntVector) loadCodes(codes, off + pr * pairBytes)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(pairMask).intoArray(cs, pr * VL);
                }
            } else {
                // runs shorter than a vector (e.g. 1-bit axes: 4 codes per byte, runs of G/4): the run's bytes
                // repeated across the lanes, each lane shifted to its token's code
                IntVector sh = IntVector.fromArray(IS, shiftTab, c * VL);
                for (int pr = 0; pr < pairs; pr++) {
                    ((IntVector) loadCodes(codes, codeBase + pr * pairBytes).rearrange(repeatRun)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0))
                            .lanewise(VectorOperators.LSHR, sh).and(pairMask).intoArray(cs, pr * VL);
                }
            }
            return;
        }
        long mask = bitsPer == 32 ? 0xFFFF_FFFFL : (1L << bitsPer) - 1;
        if (k > 0) {
            int run = g / k;
            for (int pr = 0; pr < pairs; pr++) {
                int region = codeBase + pr * pairBytes;
                for (int l = 0; l < chunk; l++) {
                    int j = j0 + l;
                    cs[pr * VL + l] = (int) (((codes[region + j % run] & 0xFF) >>> ((j / run) * bitsPer)) & mask);
                }
            }
            return;
        }
        // little-endian bit stream; a chunk starts on a byte (j0·bits is a multiple of 8)
        int chunkByte = (int) ((long) j0 * bitsPer >>> 3);
        if (streamIdx != null) {
            // lane l gathers the 4 bytes from (l·bits)/8 by one byte permute, then shifts by (l·bits) % 8
            int pairMask = bitsPer == 32 ? -1 : (1 << bitsPer) - 1;
            IntVector sh = IntVector.fromArray(IS, streamShift, 0);
            for (int pr = 0; pr < pairs; pr++) {
                ((IntVector) loadWide(codes, codeBase + pr * pairBytes + chunkByte).rearrange(streamIdx)
                        .reinterpretAsInts()).lanewise(VectorOperators.LSHR, sh).and(pairMask).intoArray(cs, pr * VL);
            }
            return;
        }
        for (int pr = 0; pr < pairs; pr++) {
            int src = codeBase + pr * pairBytes + chunkByte;
            long acc = 0;
            int have = 0;
            int dst = pr * VL;
            for (int l = 0; l < chunk; l++) {
                while (have < bitsPer) {
                    acc |= (long) (codes[src++] & 0xFF) << have;
                    have += 8;
                }
                cs[dst + l] = (int) (acc & mask);
                acc >>>= bitsPer;
                have -= bitsPer;
            }
        }
    }

    /**
     * {@link #unpack} for an allocated layout: each pair is a bit stream of its own width; a chunk of
     * {@code L} tokens starts on a byte ({@code L} is a multiple of 8), and lane {@code l} takes the four
     * bytes from {@code (l·w)/8} by one permute, then shifts by {@code (l·w) mod 8} and masks.
     */
    private void unpackAllocated(byte[] codes, int codeBase, int j0) {
        int chunk = Math.min(g, VL);
        for (int pr = 0; pr < pairs; pr++) {
            int w = layout.pairCodeBits(pr);
            int region = codeBase + layout.offset(pr);
            int from = region + (j0 * w >>> 3);
            if (VL >= 8) {
                ((IntVector) ByteVector.fromArray(BW, widthIdx, w * 4 * VL).selectFrom(loadWide(codes, from))
                        .reinterpretAsInts()).lanewise(VectorOperators.LSHR, IntVector.fromArray(IS, widthShift, w * VL))
                        .and((1 << w) - 1).intoArray(cs, pr * VL);
            } else {
                for (int l = 0; l < chunk; l++) {
                    cs[pr * VL + l] = BitStreams.read(codes, region, (long) (j0 + l) * w, w);
                }
            }
        }
    }

    /** VL code bytes from {@code off}; past the end of the array (a short last run) from a zero-padded copy. */
    private ByteVector loadCodes(byte[] codes, int off) {
        if (off + VL <= codes.length) {
            return ByteVector.fromArray(BS, codes, off);
        }
        java.util.Arrays.fill(tail, (byte) 0);
        System.arraycopy(codes, off, tail, 0, codes.length - off);
        return ByteVector.fromArray(BS, tail, 0);
    }

    /** 4·VL code bytes from {@code off} (the float vector's width); past the end of the array from a zero-padded copy. */
    private ByteVector loadWide(byte[] codes, int off) {
        if (off + 4 * VL <= codes.length) {
            return ByteVector.fromArray(BW, codes, off);
        }
        java.util.Arrays.fill(tail, (byte) 0);
        System.arraycopy(codes, off, tail, 0, codes.length - off);
        return ByteVector.fromArray(BW, tail, 0);
    }

    /** Uniform grid: {@code base + step·code} per axis, then the in-block rotation, into {@code xr/yr[slot ..]}. */
    private void dequantUniform(int j0, int slot) {
        for (int pr = 0; pr < pairs; pr++) {
            int axisBits = layout.axisBits(pr);
            int axisMask = layout.axisMask(pr);
            IntVector c = IntVector.fromArray(IS, cs, pr * VL);
            FloatVector x = ((FloatVector) c.and(axisMask).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(FS, sX[pr]), FloatVector.broadcast(FS, bX[pr]));
            FloatVector y = ((FloatVector) c.lanewise(VectorOperators.LSHR, axisBits).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(FS, sY[pr]), FloatVector.broadcast(FS, bY[pr]));
            rotateInto(x, y, pr * g + j0, slot + pr * VL);
        }
    }

    /** Calibrated levels, table within one vector: the level by lane shuffle, then {@code lo + step·u}. */
    private void dequantShuffle(int j0, int slot, float[] lv) {
        for (int pr = 0; pr < pairs; pr++) {
            int axisBits = layout.axisBits(pr);
            int axisMask = layout.axisMask(pr);
            IntVector c = IntVector.fromArray(IS, cs, pr * VL);
            FloatVector ux = c.and(axisMask).selectFrom(FloatVector.fromArray(FS, lv, pr * 2 * stride)
                    .reinterpretAsInts()).reinterpretAsFloats();
            FloatVector uy = c.lanewise(VectorOperators.LSHR, axisBits).selectFrom(FloatVector.fromArray(FS, lv, (pr * 2 + 1) * stride)
                    .reinterpretAsInts()).reinterpretAsFloats();
            FloatVector x = ux.fma(FloatVector.broadcast(FS, sX[pr]), FloatVector.broadcast(FS, lX[pr]));
            FloatVector y = uy.fma(FloatVector.broadcast(FS, sY[pr]), FloatVector.broadcast(FS, lY[pr]));
            rotateInto(x, y, pr * g + j0, slot + pr * VL);
        }
    }

    /** Calibrated levels, tables wider than a vector: the levels by gather from the pair's table rows. */
    private void dequantGather(int j0, int slot, float[] lv) {
        for (int pr = 0; pr < pairs; pr++) {
            int axisBits = layout.axisBits(pr);
            int axisMask = layout.axisMask(pr);
            IntVector c = IntVector.fromArray(IS, cs, pr * VL);
            c.and(axisMask).intoArray(cx, 0);
            c.lanewise(VectorOperators.LSHR, axisBits).intoArray(cy, 0);
            FloatVector ux = FloatVector.fromArray(FS, lv, pr * 2 * stride, cx, 0);
            FloatVector uy = FloatVector.fromArray(FS, lv, (pr * 2 + 1) * stride, cy, 0);
            FloatVector x = ux.fma(FloatVector.broadcast(FS, sX[pr]), FloatVector.broadcast(FS, lX[pr]));
            FloatVector y = uy.fma(FloatVector.broadcast(FS, sY[pr]), FloatVector.broadcast(FS, lY[pr]));
            rotateInto(x, y, pr * g + j0, slot + pr * VL);
        }
    }

    /** Turns a decoded pair of VL tokens by {@code j·ω} (tables at {@code e}), as the fast path does. */
    private void rotateInto(FloatVector x, FloatVector y, int e, int at) {
        FloatVector ec = FloatVector.fromArray(FS, cosP, e);
        x.fma(ec, y.mul(FloatVector.fromArray(FS, negSinP, e))).intoArray(xr, at);
        x.fma(FloatVector.fromArray(FS, sinP, e), y.mul(ec)).intoArray(yr, at);
    }

    /** Dot of up to four rotated queries with two decoded chunks ({@code xr/yr} slots 0 and 1). */
    private void dotTwoChunks(int w0, int m, float[] out, int o, int outStride, int normOff) {
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int sB = pairs * VL;
        for (int pr = 0; pr < pairs; pr++) {
            int e = pr * VL;
            FloatVector xA = FloatVector.fromArray(FS, xr, e);
            FloatVector yA = FloatVector.fromArray(FS, yr, e);
            FloatVector xB = FloatVector.fromArray(FS, xr, sB + e);
            FloatVector yB = FloatVector.fromArray(FS, yr, sB + e);
            int w = w0 + pr;
            FloatVector wav = FloatVector.broadcast(FS, wa[w]);
            FloatVector wbv = FloatVector.broadcast(FS, wb[w]);
            a0 = xA.fma(wav, yA.fma(wbv, a0));
            b0 = xB.fma(wav, yB.fma(wbv, b0));
            if (m > 1) {
                wav = FloatVector.broadcast(FS, wa[w + pairs]);
                wbv = FloatVector.broadcast(FS, wb[w + pairs]);
                a1 = xA.fma(wav, yA.fma(wbv, a1));
                b1 = xB.fma(wav, yB.fma(wbv, b1));
                if (m > 2) {
                    wav = FloatVector.broadcast(FS, wa[w + 2 * pairs]);
                    wbv = FloatVector.broadcast(FS, wb[w + 2 * pairs]);
                    a2 = xA.fma(wav, yA.fma(wbv, a2));
                    b2 = xB.fma(wav, yB.fma(wbv, b2));
                    if (m > 3) {
                        wav = FloatVector.broadcast(FS, wa[w + 3 * pairs]);
                        wbv = FloatVector.broadcast(FS, wb[w + 3 * pairs]);
                        a3 = xA.fma(wav, yA.fma(wbv, a3));
                        b3 = xB.fma(wav, yB.fma(wbv, b3));
                    }
                }
            }
        }
        FloatVector nA = FloatVector.fromArray(FS, norm, normOff);
        FloatVector nB = FloatVector.fromArray(FS, norm, normOff + VL);
        a0.mul(nA).intoArray(out, o);
        b0.mul(nB).intoArray(out, o + VL);
        if (m > 1) {
            a1.mul(nA).intoArray(out, o + outStride);
            b1.mul(nB).intoArray(out, o + outStride + VL);
        }
        if (m > 2) {
            a2.mul(nA).intoArray(out, o + 2 * outStride);
            b2.mul(nB).intoArray(out, o + 2 * outStride + VL);
        }
        if (m > 3) {
            a3.mul(nA).intoArray(out, o + 3 * outStride);
            b3.mul(nB).intoArray(out, o + 3 * outStride + VL);
        }
    }

    /** One decoded chunk (slot 0) of {@code n <= VL} tokens against up to four queries; lanes past n not stored. */
    private void dotChunk(int w0, int m, float[] out, int o, int outStride, int normOff, int n) {
        FloatVector a0 = FloatVector.zero(FS);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int pr = 0; pr < pairs; pr++) {
            FloatVector x = FloatVector.fromArray(FS, xr, pr * VL);
            FloatVector y = FloatVector.fromArray(FS, yr, pr * VL);
            int w = w0 + pr;
            a0 = x.fma(FloatVector.broadcast(FS, wa[w]), y.fma(FloatVector.broadcast(FS, wb[w]), a0));
            if (m > 1) {
                a1 = x.fma(FloatVector.broadcast(FS, wa[w + pairs]), y.fma(FloatVector.broadcast(FS, wb[w + pairs]), a1));
                if (m > 2) {
                    a2 = x.fma(FloatVector.broadcast(FS, wa[w + 2 * pairs]),
                            y.fma(FloatVector.broadcast(FS, wb[w + 2 * pairs]), a2));
                    if (m > 3) {
                        a3 = x.fma(FloatVector.broadcast(FS, wa[w + 3 * pairs]),
                                y.fma(FloatVector.broadcast(FS, wb[w + 3 * pairs]), a3));
                    }
                }
            }
        }
        FloatVector nv = FloatVector.fromArray(FS, norm, normOff);
        if (n == VL) {
            a0.mul(nv).intoArray(out, o);
            if (m > 1) {
                a1.mul(nv).intoArray(out, o + outStride);
            }
            if (m > 2) {
                a2.mul(nv).intoArray(out, o + 2 * outStride);
            }
            if (m > 3) {
                a3.mul(nv).intoArray(out, o + 3 * outStride);
            }
            return;
        }
        VectorMask<Float> part = FS.indexInRange(0, n);
        a0.mul(nv).intoArray(out, o, part);
        if (m > 1) {
            a1.mul(nv).intoArray(out, o + outStride, part);
        }
        if (m > 2) {
            a2.mul(nv).intoArray(out, o + 2 * outStride, part);
        }
        if (m > 3) {
            a3.mul(nv).intoArray(out, o + 3 * outStride, part);
        }
    }

    /** Grid rows and norms of one block as floats (norms all 1 without token norms), with vector conversions. */
    private void loadBlockVector(short[] meta, int metaBase, short[] norms, int normBase) {
        if (p.compactSteps()) {
            for (int pr = 0; pr < pairs; pr++) {
                int codes = meta[metaBase + 2 * pairs + pr];
                sX[pr] = UniformGridFit.LOG_STEPS[codes & 0xFF];
                sY[pr] = UniformGridFit.LOG_STEPS[(codes >>> 8) & 0xFF];
            }
        }
        for (int pr = 0; pr < pairs && p.compactSteps(); pr += VL) {
            FloatVector sx = FloatVector.fromArray(FS, sX, pr);
            FloatVector sy = FloatVector.fromArray(FS, sY, pr);
            sy.mul(1f / (1 << p.axisBits())).intoArray(sYhi, pr);
            FloatVector lx = HalfFloatValues.finiteToFloat(meta, metaBase + pr);
            FloatVector ly = HalfFloatValues.finiteToFloat(meta, metaBase + pairs + pr);
            lx.intoArray(lX, pr);
            ly.intoArray(lY, pr);
            lx.add(sx.mul(0.5f)).intoArray(bX, pr);
            ly.add(sy.mul(0.5f)).intoArray(bY, pr);
        }
        for (int pr = 0; pr < pairs && !p.compactSteps(); pr += VL) {
            FloatVector sx = HalfFloatValues.finiteToFloat(meta, metaBase + pairs + pr);
            FloatVector sy = HalfFloatValues.finiteToFloat(meta, metaBase + 3 * pairs + pr);
            sx.intoArray(sX, pr);
            sy.intoArray(sY, pr);
            sy.mul(1f / (1 << p.axisBits())).intoArray(sYhi, pr);
            FloatVector lx = HalfFloatValues.finiteToFloat(meta, metaBase + pr);
            FloatVector ly = HalfFloatValues.finiteToFloat(meta, metaBase + 2 * pairs + pr);
            lx.intoArray(lX, pr);
            ly.intoArray(lY, pr);
            lx.add(sx.mul(0.5f)).intoArray(bX, pr);
            ly.add(sy.mul(0.5f)).intoArray(bY, pr);
        }
        if (p.tokenNorm()) {
            for (int j = 0; j < g; j += VL) {
                HalfFloatValues.finiteToFloat(norms, normBase + j).intoArray(norm, j);
            }
        } else if (norm[0] != 1f) {
            java.util.Arrays.fill(norm, 1f);
        }
    }

    /** Splits each query into its pairs' real and imaginary parts, once per call: {@code qRe, qIm [qi·pairs + p]}. */
    private void splitQueries(float[] q, int qOff, int numQueries) {
        if (qRe.length < numQueries * pairs) {
            qRe = new float[numQueries * pairs];
            qIm = new float[numQueries * pairs];
            wa = new float[numQueries * pairs];
            wb = new float[numQueries * pairs];
        }
        int headDim = p.headDim();
        for (int qi = 0; qi < numQueries; qi++) {
            for (int pr = 0; pr < pairs; pr++) {
                qRe[qi * pairs + pr] = q[qOff + qi * headDim + first[pr]];
                qIm[qi * pairs + pr] = q[qOff + qi * headDim + second[pr]];
            }
        }
    }

    /** W = w·e^{−i·t0·ω} for every query and pair of block {@code b}, pairs in vector lanes. */
    private void rotateQueriesVector(float[][] starts, int b, int numQueries) {
        for (int pr = 0; pr < pairs; pr += VL) {
            FloatVector c = FloatVector.fromArray(FS, starts[0], b * pairs + pr);
            FloatVector s = FloatVector.fromArray(FS, starts[1], b * pairs + pr);
            for (int qi = 0; qi < numQueries; qi++) {
                FloatVector qa = FloatVector.fromArray(FS, qRe, qi * pairs + pr);
                FloatVector qs = FloatVector.fromArray(FS, qIm, qi * pairs + pr);
                qa.fma(c, qs.mul(s)).intoArray(wa, qi * pairs + pr);
                qs.fma(c, qa.mul(s).neg()).intoArray(wb, qi * pairs + pr);
            }
        }
    }

    /** The plain reference of {@link #scoreBlocks}: same decomposition, one token and one query at a time. */
    void scoreBlocksScalar(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                           float[] out, int outOff, int outStride) {
        scoreTokensScalar(codes, meta, norms, 0, blocks * g, q, qOff, numQueries, out, outOff, outStride);
    }

    /** Scores encoded tokens {@code [from, to)} (any bounds inside the encoded blocks) with the reference path. */
    void scoreTokensScalar(byte[] codes, short[] meta, short[] norms, int from, int to, float[] q, int qOff,
                           int numQueries, float[] out, int outOff, int outStride) {
        scoreTokensScalar(codes, meta, norms, from, to, q, qOff, numQueries, out, outOff, outStride, null);
    }

    /** As above; {@code lv} the head's calibrated level table, or null for the uniform grid. */
    void scoreTokensScalar(byte[] codes, short[] meta, short[] norms, int from, int to, float[] q, int qOff,
                           int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        if (from >= to) {
            return;
        }
        float[][] starts = rope.blockStarts((to - 1) / g + 1);
        for (int b = from / g; b * g < to; b++) {
            loadBlock(meta, b * p.blockMetaShorts(), norms, b * g);
            rotateQueries(starts, b, q, qOff, numQueries);
            int codeBase = b * p.blockCodeBytes();
            for (int j = Math.max(0, from - b * g); j < g && b * g + j < to; j++) {
                for (int qi = 0; qi < numQueries; qi++) {
                    float s = 0f;
                    for (int pr = 0; pr < pairs; pr++) {
                        int code = codec.code(codes, codeBase, pr, j);
                        float x;
                        float y;
                        if (lv == null) {
                            x = UniformGridFit.value(bX[pr], sX[pr], code & layout.axisMask(pr));
                            y = UniformGridFit.value(bY[pr], sY[pr], code >>> layout.axisBits(pr));
                        } else {
                            x = LevelGrid.value(lX[pr], sX[pr], lv[pr * 2 * stride + (code & layout.axisMask(pr))]);
                            y = LevelGrid.value(lY[pr], sY[pr], lv[(pr * 2 + 1) * stride + (code >>> layout.axisBits(pr))]);
                        }
                        float ec = rope.inCos[pr * g + j];
                        float es = rope.inSin[pr * g + j];
                        float xr = x * ec - y * es;
                        float yr = x * es + y * ec;
                        int w = qi * pairs + pr;
                        s += wa[w] * xr + wb[w] * yr;
                    }
                    out[outOff + qi * outStride + b * g + j] = p.tokenNorm() ? s * norm[j] : s;
                }
            }
        }
    }

    /**
     * Vector form of {@link #scoreFp16} for the half-split layout (a pair's two parts are contiguous
     * runs of the head vector): lanes over pairs, one reduction per query and token.
     */
    void scoreFp16Vector(short[] keys, int firstPos, int count, float[] q, int qOff, int numQueries,
                         float[] out, int outOff, int outStride) {
        if (count == 0) {
            return;
        }
        if (SS == null || pairs % VL != 0) {
            scoreFp16(keys, firstPos, count, q, qOff, numQueries, out, outOff, outStride);
            return;
        }
        if (p.layout() != dev.veloxquant.cache.RopeLayout.HALF) {
            scoreFp16Interleaved(keys, firstPos, count, q, qOff, numQueries, out, outOff, outStride);
            return;
        }
        int headDim = p.headDim();
        float[][] starts = rope.blockStarts((firstPos + count - 1) / g + 1);
        splitQueries(q, qOff, numQueries);
        int block = -1;
        for (int i = 0; i < count; i++) {
            int t = firstPos + i;
            int b = t / g;
            if (b != block) {
                rotateQueriesVector(starts, b, numQueries);
                block = b;
            }
            scoreHalfToken(keys, i * headDim, (t - b * g) * pairs, numQueries, out, outOff + t, outStride);
        }
    }

    /**
     * Interleaved layout ({@code x0 y0 x1 y1 …}): lanes over the head vector as stored. The rotated key
     * is {@code v·C + swap(v)·S} with {@code C = (c0 c0 c1 c1 …)}, {@code S = (−s0 s0 −s1 s1 …)} at the
     * token's in-block offset and {@code swap} exchanging the two parts of each pair; its dot with the
     * rotated query {@code (wa0 wb0 wa1 wb1 …)} is the score.
     */
    private void scoreFp16Interleaved(short[] keys, int firstPos, int count, float[] q, int qOff, int numQueries,
                                      float[] out, int outOff, int outStride) {
        int headDim = p.headDim();
        if (cosI == null) {
            cosI = new float[g * headDim];
            sinI = new float[g * headDim];
            for (int j = 0; j < g; j++) {
                for (int pr = 0; pr < pairs; pr++) {
                    cosI[j * headDim + 2 * pr] = rope.inCos[pr * g + j];
                    cosI[j * headDim + 2 * pr + 1] = rope.inCos[pr * g + j];
                    sinI[j * headDim + 2 * pr] = -rope.inSin[pr * g + j];
                    sinI[j * headDim + 2 * pr + 1] = rope.inSin[pr * g + j];
                }
            }
        }
        if (wI.length < numQueries * headDim) {
            wI = new float[numQueries * headDim];
        }
        float[][] starts = rope.blockStarts((firstPos + count - 1) / g + 1);
        splitQueries(q, qOff, numQueries);
        int block = -1;
        for (int i = 0; i < count; i++) {
            int t = firstPos + i;
            int b = t / g;
            if (b != block) {
                rotateQueriesVector(starts, b, numQueries);
                for (int x = 0; x < numQueries * pairs; x++) {
                    wI[2 * x] = wa[x];
                    wI[2 * x + 1] = wb[x];
                }
                block = b;
            }
            int kOff = i * headDim;
            int e = (t - b * g) * headDim;
            for (int qi = 0; qi < numQueries; qi++) {
                FloatVector acc = FloatVector.zero(FS);
                for (int d = 0; d < headDim; d += VL) {
                    FloatVector v = HalfFloatValues.finiteToFloat(keys, kOff + d);
                    FloatVector kr = v.fma(FloatVector.fromArray(FS, cosI, e + d),
                            v.rearrange(SWAP).mul(FloatVector.fromArray(FS, sinI, e + d)));
                    acc = kr.fma(FloatVector.fromArray(FS, wI, qi * headDim + d), acc);
                }
                out[outOff + qi * outStride + t] = Lanes.sum(acc);
            }
        }
    }

    private void scoreHalfToken(short[] keys, int kOff, int eOff, int numQueries, float[] out, int o, int outStride) {
        for (int qi = 0; qi < numQueries; qi++) {
            FloatVector acc = FloatVector.zero(FS);
            for (int pr = 0; pr < pairs; pr += VL) {
                FloatVector x = HalfFloatValues.finiteToFloat(keys, kOff + pr);
                FloatVector y = HalfFloatValues.finiteToFloat(keys, kOff + pairs + pr);
                FloatVector ec = FloatVector.fromArray(FS, rope.inCosT, eOff + pr);
                FloatVector es = FloatVector.fromArray(FS, rope.inSinT, eOff + pr);
                FloatVector xr = x.mul(ec).sub(y.mul(es));
                FloatVector yr = x.fma(es, y.mul(ec));
                acc = xr.fma(FloatVector.fromArray(FS, wa, qi * pairs + pr),
                        yr.fma(FloatVector.fromArray(FS, wb, qi * pairs + pr), acc));
            }
            out[o + qi * outStride] = Lanes.sum(acc);
        }
    }

    /**
     * Scores pre-RoPE keys held as fp16 ({@code count} tokens from position {@code firstPos}, head
     * vectors at {@code keys[t·headDim]}) with the same rotation split.
     */
    void scoreFp16(short[] keys, int firstPos, int count, float[] q, int qOff, int numQueries,
                   float[] out, int outOff, int outStride) {
        if (count == 0) {
            return;
        }
        int headDim = p.headDim();
        int lastBlock = (firstPos + count - 1) / g;
        float[][] starts = rope.blockStarts(lastBlock + 1);
        int block = -1;
        for (int i = 0; i < count; i++) {
            int t = firstPos + i;
            int b = t / g;
            int j = t - b * g;
            if (b != block) {
                rotateQueries(starts, b, q, qOff, numQueries);
                block = b;
            }
            for (int qi = 0; qi < numQueries; qi++) {
                float s = 0f;
                for (int pr = 0; pr < pairs; pr++) {
                    float x = Float.float16ToFloat(keys[i * headDim + first[pr]]);
                    float y = Float.float16ToFloat(keys[i * headDim + second[pr]]);
                    float ec = rope.inCos[pr * g + j];
                    float es = rope.inSin[pr * g + j];
                    int w = qi * pairs + pr;
                    s += wa[w] * (x * ec - y * es) + wb[w] * (x * es + y * ec);
                }
                out[outOff + qi * outStride + t] = s;
            }
        }
    }

    private void loadBlock(short[] meta, int metaBase, short[] norms, int normBase) {
        for (int pr = 0; pr < pairs; pr++) {
            sX[pr] = codec.stepX(meta, metaBase, pr);
            sY[pr] = codec.stepY(meta, metaBase, pr);
            lX[pr] = codec.loX(meta, metaBase, pr);
            lY[pr] = codec.loY(meta, metaBase, pr);
            bX[pr] = UniformGridFit.base(codec.loX(meta, metaBase, pr), sX[pr]);
            bY[pr] = UniformGridFit.base(codec.loY(meta, metaBase, pr), sY[pr]);
        }
        if (p.tokenNorm()) {
            for (int j = 0; j < g; j++) {
                norm[j] = Float.float16ToFloat(norms[normBase + j]);
            }
        } else if (norm[0] != 1f) {
            java.util.Arrays.fill(norm, 1f);
        }
    }

    /** W = w·e^{−i·t0·ω} per query and pair, for block {@code b}; queries past {@code numQueries} get zeros. */
    private void rotateQueries(float[][] starts, int b, float[] q, int qOff, int numQueries) {
        if (wa.length < numQueries * pairs) {
            wa = new float[numQueries * pairs];
            wb = new float[numQueries * pairs];
        }
        int headDim = p.headDim();
        int sb = b * pairs;
        for (int qi = 0; qi < numQueries; qi++) {
            for (int pr = 0; pr < pairs; pr++) {
                int w = qi * pairs + pr;
                float c = starts[0][sb + pr];
                float s = starts[1][sb + pr];
                float qa = q[qOff + qi * headDim + first[pr]];
                float qb = q[qOff + qi * headDim + second[pr]];
                wa[w] = Math.fma(qa, c, qb * s);
                wb[w] = Math.fma(qb, c, -(qa * s));
            }
        }
    }
}
