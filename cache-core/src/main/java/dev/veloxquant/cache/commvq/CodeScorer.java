package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.simd.Lanes;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
    private static final VectorSpecies<Byte> BS = byteSpecies(VL);
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final VectorSpecies<Short> SS = shortSpecies();
    /** Queries scored together per pass over the codes; more are done in further passes. */
    private static final int QG = 4;

    private final CommVQParams p;
    private final RopeTables rope;
    private final BlockCodec codec;
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
    private float[] qRe = new float[0];
    private float[] qIm = new float[0];
    private float[] wa = new float[0];
    private float[] wb = new float[0];

    CodeScorer(CommVQParams params, RopeTables rope) {
        this.p = params;
        this.rope = rope;
        this.codec = new BlockCodec(params);
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
        this.norm = new float[g];
        this.lX = new float[pairs];
        this.lY = new float[pairs];
        this.stride = LevelGrid.stride(params.levels());
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

    /** Whether {@link #scoreBlocks} runs the vector path for these parameters. */
    boolean vectorized() {
        int k = p.codesPerByte();
        return BS != null && SS != null && k > 0 && (g / k) % VL == 0 && g / VL >= 2 && pairs % VL == 0;
    }

    /**
     * Scores tokens {@code [0, blocks·G)} into {@code out[outOff + qi·outStride + t]}.
     */
    void scoreBlocks(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride) {
        scoreBlocks(codes, meta, norms, blocks, q, qOff, numQueries, out, outOff, outStride, null);
    }

    /** Whether {@link #scoreBlocks} runs the vector path with a calibrated level table: one table fits a vector. */
    boolean vectorizedLevels() {
        return vectorized() && p.levels() <= VL;
    }

    /** As above with the head's calibrated level table {@code lv} ({@link LevelGrid}), null for the uniform grid. */
    void scoreBlocks(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride, float[] lv) {
        if (lv != null) {
            if (vectorizedLevels()) {
                scoreBlocksLevels(codes, meta, norms, blocks, q, qOff, numQueries, out, outOff, outStride, lv);
            } else {
                scoreTokensScalar(codes, meta, norms, 0, blocks * g, q, qOff, numQueries, out, outOff, outStride, lv);
            }
            return;
        }
        if (!vectorized()) {
            scoreBlocksScalar(codes, meta, norms, blocks, q, qOff, numQueries, out, outOff, outStride);
            return;
        }
        float[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int run = g / p.codesPerByte();
        int pairBits = p.pairCodeBits();
        splitQueries(q, qOff, numQueries);
        for (int b = 0; b < blocks; b++) {
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

    /**
     * {@link #scoreBlocks} with a calibrated level table: as the uniform path, but each axis code picks
     * its level {@code u} from the pair's table by a lane shuffle (the table fits one vector), then
     * {@code lo + step·u} as {@link LevelGrid#value}.
     */
    private void scoreBlocksLevels(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff,
                                   int numQueries, float[] out, int outOff, int outStride, float[] lv) {
        float[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int run = g / p.codesPerByte();
        int pairBits = p.pairCodeBits();
        splitQueries(q, qOff, numQueries);
        for (int b = 0; b < blocks; b++) {
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
            FloatVector ux = FloatVector.fromArray(FS, lv, pr * 2 * stride)
                    .rearrange(iv.and(axisMask).toShuffle().cast(FS));
            FloatVector uy = FloatVector.fromArray(FS, lv, (pr * 2 + 1) * stride)
                    .rearrange(iv.lanewise(VectorOperators.LSHR, axisBits).and(axisMask).toShuffle().cast(FS));
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
            HalfFloatValues.finiteToFloat(meta, metaBase + pr).add(sx.mul(0.5f)).intoArray(bX, pr);
            HalfFloatValues.finiteToFloat(meta, metaBase + pairs + pr).add(sy.mul(0.5f)).intoArray(bY, pr);
        }
        for (int pr = 0; pr < pairs && !p.compactSteps(); pr += VL) {
            FloatVector sx = HalfFloatValues.finiteToFloat(meta, metaBase + pairs + pr);
            FloatVector sy = HalfFloatValues.finiteToFloat(meta, metaBase + 3 * pairs + pr);
            sx.intoArray(sX, pr);
            sy.intoArray(sY, pr);
            sy.mul(1f / (1 << p.axisBits())).intoArray(sYhi, pr);
            HalfFloatValues.finiteToFloat(meta, metaBase + pr).add(sx.mul(0.5f)).intoArray(bX, pr);
            HalfFloatValues.finiteToFloat(meta, metaBase + 2 * pairs + pr).add(sy.mul(0.5f)).intoArray(bY, pr);
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
        int axisBits = p.axisBits();
        int axisMask = (int) ((1L << axisBits) - 1);
        for (int b = from / g; b * g < to; b++) {
            loadBlock(meta, b * p.blockMetaShorts(), norms, b * g);
            rotateQueries(starts, b, q, qOff, numQueries);
            int codeBase = b * p.blockCodeBytes();
            for (int j = Math.max(0, from - b * g); j < g && b * g + j < to; j++) {
                for (int qi = 0; qi < numQueries; qi++) {
                    float s = 0f;
                    for (int pr = 0; pr < pairs; pr++) {
                        int code = codec.code(codes, codeBase + pr * p.pairBlockBytes(), j);
                        float x;
                        float y;
                        if (lv == null) {
                            x = UniformGridFit.value(bX[pr], sX[pr], code & axisMask);
                            y = UniformGridFit.value(bY[pr], sY[pr], code >>> axisBits);
                        } else {
                            x = LevelGrid.value(lX[pr], sX[pr], lv[pr * 2 * stride + (code & axisMask)]);
                            y = LevelGrid.value(lY[pr], sY[pr], lv[(pr * 2 + 1) * stride + (code >>> axisBits)]);
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
        if (p.layout() != dev.veloxquant.cache.RopeLayout.HALF || SS == null || pairs % VL != 0) {
            scoreFp16(keys, firstPos, count, q, qOff, numQueries, out, outOff, outStride);
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
