package dev.veloxquant.cache.commvq;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
    private static final int VL = FS.length();
    private static final VectorSpecies<Byte> BS = byteSpecies(VL);
    /** Queries scored together per pass over the codes; more are done in further passes. */
    private static final int QG = 4;

    private final CommVQParams p;
    private final RopeTables rope;
    private final int pairs;
    private final int g;
    private final int[] first;
    private final int[] second;
    // Per-block scratch: grid as floats, norms, rotated queries.
    private final float[] bX;
    private final float[] sX;
    private final float[] bY;
    private final float[] sY;
    private final float[] norm;
    private float[] wa = new float[0];
    private float[] wb = new float[0];

    CodeScorer(CommVQParams params, RopeTables rope) {
        this.p = params;
        this.rope = rope;
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
        this.norm = new float[g];
    }

    private static VectorSpecies<Byte> byteSpecies(int lanes) {
        try {
            return VectorSpecies.of(byte.class, VectorShape.forBitSize(lanes * 8));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(FS, v);
    }

    /** Whether {@link #scoreBlocks} runs the vector path for these parameters. */
    boolean vectorized() {
        int k = p.codesPerByte();
        return BS != null && k > 0 && (g / k) % VL == 0;
    }

    /**
     * Scores tokens {@code [0, blocks·G)} into {@code out[outOff + qi·outStride + t]}.
     */
    void scoreBlocks(byte[] codes, short[] meta, short[] norms, int blocks, float[] q, int qOff, int numQueries,
                     float[] out, int outOff, int outStride) {
        if (!vectorized()) {
            scoreBlocksScalar(codes, meta, norms, blocks, q, qOff, numQueries, out, outOff, outStride);
            return;
        }
        int padded = (numQueries + QG - 1) / QG * QG;
        double[][] starts = rope.blockStarts(blocks);
        int blockBytes = p.blockCodeBytes();
        int blockMeta = p.blockMetaShorts();
        int pairBytes = p.pairBlockBytes();
        int k = p.codesPerByte();
        int run = g / k;
        int pairBits = p.pairCodeBits();
        int axisBits = p.axisBits();
        byte axisMask = (byte) ((1 << axisBits) - 1);
        for (int b = 0; b < blocks; b++) {
            loadBlock(meta, b * blockMeta, norms, b * g);
            rotateQueries(starts, b, q, qOff, numQueries, padded);
            int codeBase = b * blockBytes;
            int t0 = b * g;
            for (int c = 0; c < g / VL; c++) {
                int m = (c * VL) / run;
                int i0 = c * VL - m * run;
                int shift = m * pairBits;
                for (int q0 = 0; q0 < numQueries; q0 += QG) {
                    FloatVector a0 = FloatVector.zero(FS);
                    FloatVector a1 = FloatVector.zero(FS);
                    FloatVector a2 = FloatVector.zero(FS);
                    FloatVector a3 = FloatVector.zero(FS);
                    int w0 = q0 * pairs;
                    for (int pr = 0; pr < pairs; pr++) {
                        ByteVector bv = ByteVector.fromArray(BS, codes, codeBase + pr * pairBytes + i0);
                        if (shift != 0) {
                            bv = bv.lanewise(VectorOperators.LSHR, shift);
                        }
                        FloatVector cx = (FloatVector) bv.and(axisMask).convertShape(VectorOperators.B2F, FS, 0);
                        FloatVector cy = (FloatVector) bv.lanewise(VectorOperators.LSHR, axisBits).and(axisMask)
                                .convertShape(VectorOperators.B2F, FS, 0);
                        FloatVector x = cx.fma(sX[pr], bX[pr]);
                        FloatVector y = cy.fma(sY[pr], bY[pr]);
                        int e = pr * g + c * VL;
                        FloatVector ec = FloatVector.fromArray(FS, rope.inCos, e);
                        FloatVector es = FloatVector.fromArray(FS, rope.inSin, e);
                        FloatVector xr = x.mul(ec).sub(y.mul(es));
                        FloatVector yr = x.mul(es).add(y.mul(ec));
                        int w = w0 + pr;
                        a0 = xr.fma(bc(wa[w]), yr.fma(bc(wb[w]), a0));
                        a1 = xr.fma(bc(wa[w + pairs]), yr.fma(bc(wb[w + pairs]), a1));
                        a2 = xr.fma(bc(wa[w + 2 * pairs]), yr.fma(bc(wb[w + 2 * pairs]), a2));
                        a3 = xr.fma(bc(wa[w + 3 * pairs]), yr.fma(bc(wb[w + 3 * pairs]), a3));
                    }
                    if (p.tokenNorm()) {
                        FloatVector nv = FloatVector.fromArray(FS, norm, c * VL);
                        a0 = a0.mul(nv);
                        a1 = a1.mul(nv);
                        a2 = a2.mul(nv);
                        a3 = a3.mul(nv);
                    }
                    int o = outOff + t0 + c * VL;
                    a0.intoArray(out, o + q0 * outStride);
                    if (q0 + 1 < numQueries) {
                        a1.intoArray(out, o + (q0 + 1) * outStride);
                    }
                    if (q0 + 2 < numQueries) {
                        a2.intoArray(out, o + (q0 + 2) * outStride);
                    }
                    if (q0 + 3 < numQueries) {
                        a3.intoArray(out, o + (q0 + 3) * outStride);
                    }
                }
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
        if (from >= to) {
            return;
        }
        double[][] starts = rope.blockStarts((to - 1) / g + 1);
        BlockCodec codec = new BlockCodec(p);
        int axisBits = p.axisBits();
        int axisMask = (int) ((1L << axisBits) - 1);
        for (int b = from / g; b * g < to; b++) {
            loadBlock(meta, b * p.blockMetaShorts(), norms, b * g);
            rotateQueries(starts, b, q, qOff, numQueries, numQueries);
            int codeBase = b * p.blockCodeBytes();
            for (int j = Math.max(0, from - b * g); j < g && b * g + j < to; j++) {
                for (int qi = 0; qi < numQueries; qi++) {
                    float s = 0f;
                    for (int pr = 0; pr < pairs; pr++) {
                        int code = codec.code(codes, codeBase + pr * p.pairBlockBytes(), j);
                        float x = UniformGridFit.value(bX[pr], sX[pr], code & axisMask);
                        float y = UniformGridFit.value(bY[pr], sY[pr], code >>> axisBits);
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
        double[][] starts = rope.blockStarts(lastBlock + 1);
        int block = -1;
        for (int i = 0; i < count; i++) {
            int t = firstPos + i;
            int b = t / g;
            int j = t - b * g;
            if (b != block) {
                rotateQueries(starts, b, q, qOff, numQueries, numQueries);
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
            int m = metaBase + pr * CommVQParams.META_PER_PAIR;
            sX[pr] = Float.float16ToFloat(meta[m + 1]);
            sY[pr] = Float.float16ToFloat(meta[m + 3]);
            bX[pr] = UniformGridFit.base(Float.float16ToFloat(meta[m]), sX[pr]);
            bY[pr] = UniformGridFit.base(Float.float16ToFloat(meta[m + 2]), sY[pr]);
        }
        if (p.tokenNorm()) {
            for (int j = 0; j < g; j++) {
                norm[j] = Float.float16ToFloat(norms[normBase + j]);
            }
        }
    }

    /** W = w·e^{−i·t0·ω} per query and pair, for block {@code b}; queries past {@code numQueries} get zeros. */
    private void rotateQueries(double[][] starts, int b, float[] q, int qOff, int numQueries, int padded) {
        if (wa.length < padded * pairs) {
            wa = new float[padded * pairs];
            wb = new float[padded * pairs];
        }
        int headDim = p.headDim();
        int sb = b * pairs;
        for (int qi = 0; qi < padded; qi++) {
            for (int pr = 0; pr < pairs; pr++) {
                int w = qi * pairs + pr;
                if (qi >= numQueries) {
                    wa[w] = 0f;
                    wb[w] = 0f;
                    continue;
                }
                double c = starts[0][sb + pr];
                double s = starts[1][sb + pr];
                double qa = q[qOff + qi * headDim + first[pr]];
                double qb = q[qOff + qi * headDim + second[pr]];
                wa[w] = (float) (qa * c + qb * s);
                wb[w] = (float) (qb * c - qa * s);
            }
        }
    }
}
