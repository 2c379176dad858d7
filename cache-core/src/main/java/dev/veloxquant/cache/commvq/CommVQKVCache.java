package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.simd.PackedCodes;
import dev.veloxquant.cache.simd.UniformKernels;
import dev.veloxquant.cache.uniform.AffineCodec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * One layer's CommVQ cache. Keys arrive BEFORE RoPE. The newest tokens stay in fp16 (pre-RoPE)
 * until a whole block of {@code groupSize} tokens is older than the {@code windowSize} newest ones;
 * that block is then encoded with {@link BlockCodec} (per pair a nested complex grid fitted to the
 * block, one fp16 norm per token and head). Scores come from the codes through
 * {@link CodeScorer}, rotating the query rather than the key, so no per-token position and no
 * fp32 key copy is kept. Values are fp16, or once their token is encoded per-token 8/4/2-bit in
 * KIVI's value format (the int caches' {@link AffineCodec} and {@link UniformKernels}).
 */
public final class CommVQKVCache implements KVCache {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    private final int kvHeads;
    private final int headDim;
    private final CommVQParams params;
    private final int windowSize;
    private final int sinkTokens;
    private final int valueBits;
    /** Per KV head: its pairs' bit widths may differ ({@link PairLayout}), so each head has its own codec and scorer. */
    private final BlockCodec[] codec;
    private final CodeScorer[] scorer;
    private final boolean quantizedValues;
    private final int valueRow;
    private final int valueGroup;
    /** Per KV head the calibrated level table ({@link LevelGrid}), or null entries for the uniform grid. */
    private final float[][] levelTables;
    private final CommVQCodebook codebook;

    // Encoded blocks, per head.
    private byte[][] codes;
    private short[][] meta;
    private short[][] norms;
    // Tokens not yet encoded, [encodedTokens, size): pre-RoPE fp16 keys, per head.
    private short[][] windowKeys;
    // The first sinkTokens keys, pre-RoPE fp16, per head, kept once they are encoded.
    private short[][] sinkKeys;
    // Values: fp16 for every token (valueBits 16), else codes for encoded tokens plus an fp16 window.
    private short[][] fp16Values;
    private byte[][] valueCodes;
    private short[][][] valueScale;   // [head][channel group][token]
    private short[][][] valueZero;
    private short[][] windowValues;
    private final short[] scaleScratch;
    private final short[] zeroScratch;

    private int size;
    private int blocks;
    private boolean closed;
    private final float[] blockScratch;
    private final float[] rowScratch;

    public CommVQKVCache(int kvHeads, int headDim, RotaryEmbedding rope, CommVQParams params, int windowSize,
                         int valueBits) {
        this(kvHeads, headDim, rope, params, windowSize, valueBits, CommVQDefaults.SINK_TOKENS);
    }

    /**
     * @param sinkTokens the first tokens whose keys stay fp16 besides their codes (attention sinks: the
     *                   first tokens draw much of every head's attention, and an outlier there would
     *                   widen the first block's grids); 0 for none, at most groupSize
     */
    public CommVQKVCache(int kvHeads, int headDim, RotaryEmbedding rope, CommVQParams params, int windowSize,
                         int valueBits, int sinkTokens) {
        this(kvHeads, headDim, rope, params, windowSize, valueBits, sinkTokens, null, 0);
    }

    /**
     * A cache whose block grids take their level shape from a calibrated codebook (layer
     * {@code layer} of it); {@code codebook} null is the calibration-free uniform grid.
     *
     * @throws IllegalArgumentException if the codebook does not match the shape (see {@link CommVQCodebook#mismatch})
     */
    public CommVQKVCache(int kvHeads, int headDim, RotaryEmbedding rope, CommVQParams params, int windowSize,
                         int valueBits, int sinkTokens, CommVQCodebook codebook, int layer) {
        this(kvHeads, headDim, rope, params, windowSize, valueBits, sinkTokens, codebook, layer, null);
    }

    /**
     * As above; {@code pairImportance[h]} (per KV head, one weight per RoPE pair, or null) spreads each
     * head's key bits over its pairs with {@link PairBitAllocation} when no codebook is given (a
     * calibrated codebook brings its own widths, measured on its calibration text).
     */
    public CommVQKVCache(int kvHeads, int headDim, RotaryEmbedding rope, CommVQParams params, int windowSize,
                         int valueBits, int sinkTokens, CommVQCodebook codebook, int layer, float[][] pairImportance) {
        if (codebook != null) {
            String why = codebook.mismatch(params.bits(), params.numResiduals(), params.layout(),
                    Math.max(codebook.layers(), layer + 1), kvHeads, headDim, params.groupSize());
            if (why != null) {
                throw new IllegalArgumentException("codebook " + why);
            }
            if (!params.tokenNorm()) {
                throw new IllegalArgumentException("a calibrated codebook needs token norms (its levels are unit-norm)");
            }
        }
        this.codebook = codebook;
        this.levelTables = new float[kvHeads][];
        for (int h = 0; h < kvHeads && codebook != null; h++) {
            levelTables[h] = codebook.headTable(layer, h);
        }
        if (rope.headDim() != headDim || params.headDim() != headDim) {
            throw new IllegalArgumentException("headDim mismatch: cache " + headDim + ", rope " + rope.headDim()
                    + ", params " + params.headDim());
        }
        if (windowSize < 0) {
            throw new IllegalArgumentException("windowSize must be >= 0, got " + windowSize);
        }
        if (sinkTokens < 0 || sinkTokens >= params.groupSize()) {
            throw new IllegalArgumentException("sinkTokens must be in 0.." + (params.groupSize() - 1) + ", got " + sinkTokens);
        }
        this.sinkTokens = sinkTokens;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.params = params;
        this.windowSize = windowSize;
        this.valueBits = valueBits;
        this.codec = new BlockCodec[kvHeads];
        this.scorer = new CodeScorer[kvHeads];
        RopeTables tables = RopeTables.of(rope, params.groupSize());
        for (int h = 0; h < kvHeads; h++) {
            PairLayout layout;
            if (codebook != null) {
                layout = PairLayout.of(params, codebook.pairBits(layer, h));
            } else if (CommVQDefaults.PAIR_ALLOCATION && pairImportance != null && pairImportance[h] != null) {
                layout = PairLayout.of(params, PairBitAllocation.allocate(pairImportance[h], params.axisBits()));
            } else {
                layout = PairLayout.uniform(params);
            }
            codec[h] = new BlockCodec(params, layout);
            scorer[h] = new CodeScorer(params, tables, layout);
        }
        if (valueBits != 16 && valueBits != 8 && valueBits != 4 && valueBits != 2) {
            throw new IllegalArgumentException("value bits must be 16, 8, 4 or 2, got " + valueBits);
        }
        this.quantizedValues = valueBits != 16;
        this.valueRow = quantizedValues ? PackedCodes.rowBytes(headDim, valueBits) : 0;
        this.valueGroup = AffineCodec.valueChannelGroup(params.groupSize(), headDim);
        this.scaleScratch = new short[headDim / valueGroup];
        this.zeroScratch = new short[headDim / valueGroup];
        int g = params.groupSize();
        // the slack past the last block keeps the scorer's wide code loads inside the array (not data: not charged)
        codes = new byte[kvHeads][4 * params.blockCodeBytes() + CodeScorer.LOAD_SLACK];
        meta = new short[kvHeads][4 * params.blockMetaShorts()];
        norms = new short[kvHeads][params.tokenNorm() ? 4 * g : 0];
        windowKeys = new short[kvHeads][(windowSize + g) * headDim];
        sinkKeys = new short[kvHeads][0];
        if (!quantizedValues) {
            fp16Values = new short[kvHeads][16 * headDim];
        } else {
            valueCodes = new byte[kvHeads][4 * g * valueRow];
            valueScale = new short[kvHeads][headDim / valueGroup][4 * g];
            valueZero = new short[kvHeads][headDim / valueGroup][4 * g];
            windowValues = new short[kvHeads][(windowSize + g) * headDim];
        }
        blockScratch = new float[g * headDim];
        rowScratch = new float[headDim];
    }

    public CommVQParams params() {
        return params;
    }

    /** The calibrated codebook in use, or null for the calibration-free grids. */
    public CommVQCodebook codebook() {
        return codebook;
    }

    @Override
    public int size() {
        return size;
    }

    /** Tokens held as codes (whole blocks); the rest are in the fp16 window. */
    public int encodedTokens() {
        return blocks * params.groupSize();
    }

    @Override
    public boolean keysBeforeRope() {
        return true;
    }

    @Override
    public void append(float[] keys, int keysOff, float[] values, int valuesOff, int count) {
        ensureOpen();
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        int enc = encodedTokens();
        int win = size - enc;
        ensureWindow(win + count);
        if (!quantizedValues) {
            fp16Values = grow(fp16Values, (size + count) * headDim);
        }
        for (int t = 0; t < count; t++) {
            for (int h = 0; h < kvHeads; h++) {
                int src = (t * kvHeads + h) * headDim;
                int dst = (win + t) * headDim;
                short[] wk = windowKeys[h];
                for (int d = 0; d < headDim; d++) {
                    wk[dst + d] = UniformGridFit.half(keys[keysOff + src + d]);
                }
                short[] vd = quantizedValues ? windowValues[h] : fp16Values[h];
                int vdst = quantizedValues ? dst : (size + t) * headDim;
                for (int d = 0; d < headDim; d++) {
                    vd[vdst + d] = UniformGridFit.half(values[valuesOff + src + d]);
                }
            }
        }
        size += count;
        encodeOldBlocks();
    }

    /** Encodes every whole block that is older than the newest {@code windowSize} tokens. */
    private void encodeOldBlocks() {
        int g = params.groupSize();
        int win = size - encodedTokens();
        int n = (win - windowSize) / g;
        if (win - windowSize < g) {
            return;
        }
        growBlocks(blocks + n);
        for (int h = 0; h < kvHeads; h++) {
            short[] wk = windowKeys[h];
            for (int i = 0; i < n; i++) {
                int b = blocks + i;
                for (int x = 0; x < g * headDim; x++) {
                    blockScratch[x] = Float.float16ToFloat(wk[i * g * headDim + x]);
                }
                int sinks = b == 0 ? sinkTokens : 0;
                if (sinks > 0) {
                    sinkKeys[h] = Arrays.copyOf(wk, sinks * headDim);
                }
                codec[h].encode(blockScratch, 0, headDim, g, sinks, codes[h], b * params.blockCodeBytes(),
                        meta[h], b * params.blockMetaShorts(), norms[h], b * g, levelTables[h]);
                if (quantizedValues) {
                    for (int j = 0; j < g; j++) {
                        int tok = b * g + j;
                        for (int d = 0; d < headDim; d++) {
                            rowScratch[d] = Float.float16ToFloat(windowValues[h][(i * g + j) * headDim + d]);
                        }
                        AffineCodec.encodeToken(rowScratch, 0, headDim, valueGroup, valueBits, valueCodes[h],
                                tok * valueRow, scaleScratch, zeroScratch, 0);
                        for (int vg = 0; vg < scaleScratch.length; vg++) {
                            valueScale[h][vg][tok] = scaleScratch[vg];
                            valueZero[h][vg][tok] = zeroScratch[vg];
                        }
                    }
                }
            }
            int shift = n * g * headDim;
            System.arraycopy(wk, shift, wk, 0, (win - n * g) * headDim);
            if (quantizedValues) {
                System.arraycopy(windowValues[h], shift, windowValues[h], 0, (win - n * g) * headDim);
            }
        }
        blocks += n;
    }

    @Override
    public void scores(int kvHead, float[] q, int qOff, int numQueries, int upTo, float[] out, int outOff) {
        ensureOpen();
        checkRange(upTo);
        int g = params.groupSize();
        int enc = encodedTokens();
        // upTo may end inside an encoded block (prefill): that block is scored whole into scratch and cut.
        scorer[kvHead].scoreTokens(codes[kvHead], meta[kvHead], norms[kvHead], 0, Math.min(upTo, enc), q, qOff, numQueries,
                out, outOff, upTo, levelTables[kvHead]);
        if (upTo > enc) {
            scorer[kvHead].scoreFp16Vector(windowKeys[kvHead], enc, upTo - enc, q, qOff, numQueries, out, outOff, upTo);
        }
        if (enc > 0 && sinkTokens > 0) {
            scorer[kvHead].scoreFp16Vector(sinkKeys[kvHead], 0, Math.min(sinkTokens, upTo), q, qOff, numQueries, out, outOff, upTo);
        }
    }

    @Override
    public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
        ensureOpen();
        checkRange(upTo);
        for (int qi = 0; qi < numQueries; qi++) {
            Arrays.fill(out, outOff + qi * headDim, outOff + (qi + 1) * headDim, 0f);
        }
        if (!quantizedValues) {
            HalfFloatValues.accumulate(fp16Values[kvHead], 0, upTo, headDim, w, wOff, upTo, numQueries, out, outOff);
            return;
        }
        int enc = Math.min(upTo, encodedTokens());
        if (enc > 0) {
            UniformKernels.valueAccumulate(valueCodes[kvHead], 0, headDim, valueBits, valueGroup, valueScale[kvHead],
                    valueZero[kvHead], 0, enc, w, wOff, upTo, numQueries, out, outOff);
        }
        if (upTo > enc) {
            HalfFloatValues.accumulate(windowValues[kvHead], 0, upTo - enc, headDim, w, wOff + enc, upTo, numQueries,
                    out, outOff);
        }
    }

    /** Decodes the pre-RoPE keys of {@code kvHead} for tokens {@code [0, size)}, {@code [t][headDim]}; for tests and tools. */
    public float[] decodeKeys(int kvHead) {
        ensureOpen();
        float[] out = new float[size * headDim];
        int g = params.groupSize();
        for (int b = 0; b < blocks; b++) {
            codec[kvHead].decode(codes[kvHead], b * params.blockCodeBytes(), meta[kvHead], b * params.blockMetaShorts(),
                    norms[kvHead], b * g, g, out, b * g * headDim, headDim, levelTables[kvHead]);
        }
        int enc = encodedTokens();
        for (int x = 0; x < (size - enc) * headDim; x++) {
            out[enc * headDim + x] = Float.float16ToFloat(windowKeys[kvHead][x]);
        }
        for (int x = 0; x < sinkKeys[kvHead].length; x++) {
            out[x] = Float.float16ToFloat(sinkKeys[kvHead][x]);
        }
        return out;
    }

    @Override
    public CacheFootprint footprint() {
        if (closed) {
            return CacheFootprint.EMPTY;
        }
        int enc = encodedTokens();
        long win = size - enc;
        long sinks = blocks > 0 ? sinkTokens : 0;
        long keyBytes = kvHeads * (blocks * params.blockBytes() + (win + sinks) * headDim * 2L);
        long valueBytes = quantizedValues
                ? kvHeads * ((long) enc * (valueRow + 4L * (headDim / valueGroup)) + win * headDim * 2L)
                : kvHeads * (long) size * headDim * 2L;
        return new CacheFootprint(size, (long) size * kvHeads * headDim, keyBytes, valueBytes);
    }

    /** Bits per axis of each RoPE pair of a KV head's codes (all {@code bits × numResiduals} unless allocated). */
    public int[] pairAxisBits(int kvHead) {
        return codec[kvHead].layout().axisBits();
    }

    @Override
    public void close() {
        closed = true;
        codes = null;
        meta = null;
        norms = null;
        windowKeys = null;
        sinkKeys = null;
        fp16Values = null;
        valueCodes = null;
        valueScale = null;
        valueZero = null;
        windowValues = null;
        size = 0;
        blocks = 0;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }

    private void checkRange(int upTo) {
        if (upTo < 0 || upTo > size) {
            throw new IllegalArgumentException("upTo must be in 0.." + size + ", got " + upTo);
        }
    }

    private void ensureWindow(int tokens) {
        windowKeys = grow(windowKeys, tokens * headDim);
        if (quantizedValues) {
            windowValues = grow(windowValues, tokens * headDim);
        }
    }

    private void growBlocks(int n) {
        int g = params.groupSize();
        codes = grow(codes, n * params.blockCodeBytes() + CodeScorer.LOAD_SLACK);
        meta = grow(meta, n * params.blockMetaShorts());
        if (params.tokenNorm()) {
            norms = grow(norms, n * g);
        }
        if (quantizedValues) {
            valueCodes = grow(valueCodes, n * g * valueRow);
            for (int h = 0; h < kvHeads; h++) {
                valueScale[h] = grow(valueScale[h], n * g);
                valueZero[h] = grow(valueZero[h], n * g);
            }
        }
    }

    private static short[][] grow(short[][] a, int need) {
        if (a[0].length >= need) {
            return a;
        }
        int cap = Math.max(need, a[0].length * 2);
        for (int h = 0; h < a.length; h++) {
            a[h] = Arrays.copyOf(a[h], cap);
        }
        return a;
    }

    private static byte[][] grow(byte[][] a, int need) {
        if (a[0].length >= need) {
            return a;
        }
        int cap = Math.max(need, a[0].length * 2);
        for (int h = 0; h < a.length; h++) {
            a[h] = Arrays.copyOf(a[h], cap);
        }
        return a;
    }
}
