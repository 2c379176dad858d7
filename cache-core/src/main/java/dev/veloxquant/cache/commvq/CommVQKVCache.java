package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.RotaryEmbedding;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * One layer's CommVQ cache. Keys arrive BEFORE RoPE. The newest tokens stay in fp16 (pre-RoPE)
 * until a whole block of {@code groupSize} tokens is older than the {@code windowSize} newest ones;
 * that block is then encoded with {@link BlockCodec} (per pair a nested complex grid fitted to the
 * block, one fp16 norm per token and head). Scores come from the codes through
 * {@link CodeScorer}, rotating the query rather than the key, so no per-token position and no
 * fp32 key copy is kept. Values are fp16, or per-token 8/4/2-bit once their token is encoded.
 */
public final class CommVQKVCache implements KVCache {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

    private final int kvHeads;
    private final int headDim;
    private final CommVQParams params;
    private final int windowSize;
    private final int valueBits;
    private final BlockCodec codec;
    private final CodeScorer scorer;
    private final TokenValueCodec valueCodec;

    // Encoded blocks, per head.
    private byte[][] codes;
    private short[][] meta;
    private short[][] norms;
    // Tokens not yet encoded, [encodedTokens, size): pre-RoPE fp16 keys, per head.
    private short[][] windowKeys;
    // Values: fp16 for every token (valueBits 16), else codes for encoded tokens plus an fp16 window.
    private short[][] fp16Values;
    private byte[][] valueCodes;
    private short[][] valueMeta;
    private short[][] windowValues;

    private int size;
    private int blocks;
    private boolean closed;
    private final float[] blockScratch;
    private final float[] rowScratch;

    public CommVQKVCache(int kvHeads, int headDim, RotaryEmbedding rope, CommVQParams params, int windowSize,
                         int valueBits) {
        if (rope.headDim() != headDim || params.headDim() != headDim) {
            throw new IllegalArgumentException("headDim mismatch: cache " + headDim + ", rope " + rope.headDim()
                    + ", params " + params.headDim());
        }
        if (windowSize < 0) {
            throw new IllegalArgumentException("windowSize must be >= 0, got " + windowSize);
        }
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.params = params;
        this.windowSize = windowSize;
        this.valueBits = valueBits;
        this.codec = new BlockCodec(params);
        this.scorer = new CodeScorer(params, RopeTables.of(rope, params.groupSize()));
        this.valueCodec = valueBits == 16 ? null : new TokenValueCodec(headDim, valueBits);
        int g = params.groupSize();
        codes = new byte[kvHeads][4 * params.blockCodeBytes()];
        meta = new short[kvHeads][4 * params.blockMetaShorts()];
        norms = new short[kvHeads][params.tokenNorm() ? 4 * g : 0];
        windowKeys = new short[kvHeads][(windowSize + g) * headDim];
        if (valueCodec == null) {
            fp16Values = new short[kvHeads][16 * headDim];
        } else {
            valueCodes = new byte[kvHeads][4 * g * valueCodec.codeBytesPerToken()];
            valueMeta = new short[kvHeads][4 * g * valueCodec.metaPerToken()];
            windowValues = new short[kvHeads][(windowSize + g) * headDim];
        }
        blockScratch = new float[g * headDim];
        rowScratch = new float[headDim];
    }

    public CommVQParams params() {
        return params;
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
        if (valueCodec == null) {
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
                short[] vd = valueCodec == null ? fp16Values[h] : windowValues[h];
                int vdst = valueCodec == null ? (size + t) * headDim : dst;
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
                codec.encode(blockScratch, 0, headDim, g, codes[h], b * params.blockCodeBytes(),
                        meta[h], b * params.blockMetaShorts(), norms[h], b * g);
                if (valueCodec != null) {
                    for (int j = 0; j < g; j++) {
                        int tok = b * g + j;
                        for (int d = 0; d < headDim; d++) {
                            rowScratch[d] = Float.float16ToFloat(windowValues[h][(i * g + j) * headDim + d]);
                        }
                        valueCodec.encode(rowScratch, 0, valueCodes[h], tok * valueCodec.codeBytesPerToken(),
                                valueMeta[h], tok * valueCodec.metaPerToken());
                    }
                }
            }
            int shift = n * g * headDim;
            System.arraycopy(wk, shift, wk, 0, (win - n * g) * headDim);
            if (valueCodec != null) {
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
        int full = Math.min(blocks, upTo / g);
        scorer.scoreBlocks(codes[kvHead], meta[kvHead], norms[kvHead], full, q, qOff, numQueries, out, outOff, upTo);
        int encUpTo = Math.min(upTo, enc);
        // upTo may end inside an encoded block: the reference path scores that tail.
        scorer.scoreTokensScalar(codes[kvHead], meta[kvHead], norms[kvHead], full * g, encUpTo, q, qOff, numQueries,
                out, outOff, upTo);
        if (upTo > enc) {
            scorer.scoreFp16Vector(windowKeys[kvHead], enc, upTo - enc, q, qOff, numQueries, out, outOff, upTo);
        }
    }

    @Override
    public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
        ensureOpen();
        checkRange(upTo);
        for (int qi = 0; qi < numQueries; qi++) {
            Arrays.fill(out, outOff + qi * headDim, outOff + (qi + 1) * headDim, 0f);
        }
        if (valueCodec == null) {
            HalfFloatValues.accumulate(fp16Values[kvHead], 0, upTo, headDim, w, wOff, upTo, numQueries, out, outOff);
            return;
        }
        int enc = Math.min(upTo, encodedTokens());
        for (int t = 0; t < enc; t++) {
            valueCodec.decode(valueCodes[kvHead], t * valueCodec.codeBytesPerToken(), valueMeta[kvHead],
                    t * valueCodec.metaPerToken(), rowScratch, 0);
            for (int qi = 0; qi < numQueries; qi++) {
                float wt = w[wOff + qi * upTo + t];
                if (wt != 0f) {
                    axpy(wt, rowScratch, out, outOff + qi * headDim, headDim);
                }
            }
        }
        if (upTo > enc) {
            HalfFloatValues.accumulate(windowValues[kvHead], 0, upTo - enc, headDim, w, wOff + enc, upTo, numQueries,
                    out, outOff);
        }
    }

    private static void axpy(float a, float[] x, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(FS, a);
        for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
            FloatVector.fromArray(FS, x, i).fma(av, FloatVector.fromArray(FS, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[i], y[yOff + i]);
        }
    }

    /** Decodes the pre-RoPE keys of {@code kvHead} for tokens {@code [0, size)}, {@code [t][headDim]}; for tests and tools. */
    public float[] decodeKeys(int kvHead) {
        ensureOpen();
        float[] out = new float[size * headDim];
        int g = params.groupSize();
        for (int b = 0; b < blocks; b++) {
            codec.decode(codes[kvHead], b * params.blockCodeBytes(), meta[kvHead], b * params.blockMetaShorts(),
                    norms[kvHead], b * g, g, out, b * g * headDim, headDim);
        }
        int enc = encodedTokens();
        for (int x = 0; x < (size - enc) * headDim; x++) {
            out[enc * headDim + x] = Float.float16ToFloat(windowKeys[kvHead][x]);
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
        long keyBytes = kvHeads * (blocks * params.blockBytes() + win * headDim * 2L);
        long valueBytes = valueCodec == null
                ? kvHeads * (long) size * headDim * 2L
                : kvHeads * ((long) enc * valueCodec.bytesPerToken() + win * headDim * 2L);
        return new CacheFootprint(size, (long) size * kvHeads * headDim, keyBytes, valueBytes);
    }

    @Override
    public void close() {
        closed = true;
        codes = null;
        meta = null;
        norms = null;
        windowKeys = null;
        fp16Values = null;
        valueCodes = null;
        valueMeta = null;
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
        if (valueCodec != null) {
            windowValues = grow(windowValues, tokens * headDim);
        }
    }

    private void growBlocks(int n) {
        int g = params.groupSize();
        codes = grow(codes, n * params.blockCodeBytes());
        meta = grow(meta, n * params.blockMetaShorts());
        if (params.tokenNorm()) {
            norms = grow(norms, n * g);
        }
        if (valueCodec != null) {
            valueCodes = grow(valueCodes, n * g * valueCodec.codeBytesPerToken());
            valueMeta = grow(valueMeta, n * g * valueCodec.metaPerToken());
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
