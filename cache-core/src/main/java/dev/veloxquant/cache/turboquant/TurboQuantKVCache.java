package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.simd.LookupKernels;
import dev.veloxquant.cache.simd.StageBlockCodes;
import dev.veloxquant.cache.store.Fp16Rows;

import java.util.Arrays;

/**
 * TurboQuant for one layer. Post-RoPE keys (and values when valueBits &lt; 16) are rotated by the
 * layer's per-head seeded orthogonal matrix and coded per coordinate in residual stages
 * ({@link ResidualScalarCodec}); one fp16 scale per token and head. Scores go through the rotated
 * query, {@code (R q)·decode_rotated(k)}, so keys are never rotated back; weighted values are summed
 * in the rotated space and rotated back once per query.
 *
 * <p>Values with valueBits 2 or 4 use one Gaussian stage of that width, valueBits 8 two stages of 4
 * (Gaussian, then Laplacian). The newest {@code windowSize} tokens stay fp16 and are coded one at a
 * time as they leave the window (0 codes every token at once, as the paper does).
 */
public final class TurboQuantKVCache implements KVCache {
    private final int kvHeads;
    private final int headDim;
    private final int window;
    private final ResidualScalarCodec keyCodec;
    private final ResidualScalarCodec valueCodec;
    private final RandomRotation[] rotations;

    private byte[][] keyCodes;
    private short[][] keyScale;
    private byte[][] valueCodes;
    private short[][] valueScale;
    private Fp16Rows keyWindow;
    private Fp16Rows values16;
    private int coded;
    private int size;
    private boolean closed;

    public TurboQuantKVCache(int layer, int kvHeads, int headDim, int bits, int numResiduals, int valueBits, int windowSize) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.window = windowSize;
        this.keyCodec = new ResidualScalarCodec(headDim, bits, numResiduals);
        if (valueBits == 16) {
            this.valueCodec = null;
        } else if (valueBits == 2 || valueBits == 4 || valueBits == 8) {
            int stageBits = Math.min(4, valueBits);
            this.valueCodec = new ResidualScalarCodec(headDim, stageBits, valueBits / stageBits);
        } else {
            throw new IllegalArgumentException("value bits must be 2, 4, 8 or 16, got " + valueBits);
        }
        this.rotations = new RandomRotation[kvHeads];
        for (int h = 0; h < kvHeads; h++) {
            rotations[h] = RandomRotation.forHead(layer, h, headDim);
        }
        keyCodes = new byte[kvHeads][0];
        keyScale = new short[kvHeads][0];
        if (valueCodec != null) {
            valueCodes = new byte[kvHeads][0];
            valueScale = new short[kvHeads][0];
        }
        keyWindow = windowSize > 0 ? new Fp16Rows(kvHeads, headDim, windowSize) : null;
        // fp16 values: every token when not coded, else the window's
        values16 = valueCodec == null ? new Fp16Rows(kvHeads, headDim, 0)
                : windowSize > 0 ? new Fp16Rows(kvHeads, headDim, windowSize) : null;
    }

    public int codedTokens() {
        return coded;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean keysBeforeRope() {
        return false;
    }

    @Override
    public void append(float[] keys, int keysOff, float[] values, int valuesOff, int count) {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
        float[] row = new float[headDim];
        float[] rotated = new float[headDim];
        for (int i = 0; i < count; i++) {
            int t = size;
            if (window == 0) {
                for (int h = 0; h < kvHeads; h++) {
                    int off = (i * kvHeads + h) * headDim;
                    codeKey(h, t, keys, keysOff + off, rotated);
                    if (valueCodec != null) {
                        codeValue(h, t, values, valuesOff + off, rotated);
                    } else {
                        values16.put(h, t, values, valuesOff + off);
                    }
                }
                coded++;
            } else {
                if (t - coded == window) {
                    for (int h = 0; h < kvHeads; h++) {
                        keyWindow.get(h, coded, row, 0);
                        codeKey(h, coded, row, 0, rotated);
                        if (valueCodec != null) {
                            values16.get(h, coded, row, 0);
                            codeValue(h, coded, row, 0, rotated);
                        }
                    }
                    coded++;
                }
                for (int h = 0; h < kvHeads; h++) {
                    int off = (i * kvHeads + h) * headDim;
                    keyWindow.put(h, t, keys, keysOff + off);
                    values16.put(h, t, values, valuesOff + off);
                }
            }
            size = t + 1;
        }
    }

    /** Keys are coded into 16-token blocks ({@link StageBlockCodes}) for the lane-per-token score kernel. */
    private void codeKey(int h, int t, float[] src, int off, float[] rotated) {
        rotations[h].rotate(src, off, rotated, 0);
        int bits = keyCodec.bits();
        int stages = keyCodec.stages();
        int[] code = new int[stages * headDim];
        short alpha = keyCodec.encodeCodes(rotated, 0, code);
        int blockBytes = StageBlockCodes.blockBytes(headDim, bits, stages);
        keyCodes[h] = grow(keyCodes[h], (t / StageBlockCodes.BLOCK + 1) * blockBytes);
        keyScale[h] = grow(keyScale[h], t + 1);
        keyScale[h][t] = alpha;
        for (int s = 0; s < stages; s++) {
            for (int d = 0; d < headDim; d++) {
                StageBlockCodes.put(keyCodes[h], 0, headDim, bits, stages, t, s, d, code[s * headDim + d]);
            }
        }
    }

    private void codeValue(int h, int t, float[] src, int off, float[] rotated) {
        rotations[h].rotate(src, off, rotated, 0);
        int rb = valueCodec.rowBytes();
        valueCodes[h] = grow(valueCodes[h], (t + 1) * rb);
        valueScale[h] = grow(valueScale[h], t + 1);
        valueScale[h][t] = valueCodec.encode(rotated, 0, valueCodes[h], t * rb);
    }

    private static byte[] grow(byte[] a, int need) {
        return need <= a.length ? a : Arrays.copyOf(a, Math.max(need, a.length * 2));
    }

    private static short[] grow(short[] a, int need) {
        return need <= a.length ? a : Arrays.copyOf(a, Math.max(need, a.length * 2));
    }

    @Override
    public void scores(int kvHead, float[] q, int qOff, int numQueries, int upTo, float[] out, int outOff) {
        checkRange(upTo);
        int n = Math.min(upTo, coded);
        if (n > 0) {
            float[] qr = new float[numQueries * headDim];
            for (int qi = 0; qi < numQueries; qi++) {
                rotations[kvHead].rotate(q, qOff + qi * headDim, qr, qi * headDim);
            }
            LookupKernels.blockScores(keyCodes[kvHead], 0, keyCodec.stages(), keyCodec.bits(), headDim, keyCodec.tables(),
                    keyScale[kvHead], n, qr, 0, numQueries, out, outOff, upTo);
        }
        if (upTo > n) {
            keyWindow.scores(kvHead, n, upTo, q, qOff, numQueries, out, outOff, upTo);
        }
    }

    @Override
    public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
        checkRange(upTo);
        Arrays.fill(out, outOff, outOff + numQueries * headDim, 0f);
        int n = valueCodec == null ? 0 : Math.min(upTo, coded);
        if (n > 0) {
            float[] rotatedSum = new float[numQueries * headDim];
            LookupKernels.accumulate(valueCodes[kvHead], 0, valueCodec.stages(), valueCodec.bits(), headDim,
                    valueCodec.tables(), valueScale[kvHead], 0, n, w, wOff, upTo, numQueries, rotatedSum, 0);
            float[] back = new float[headDim];
            for (int qi = 0; qi < numQueries; qi++) {
                rotations[kvHead].unrotate(rotatedSum, qi * headDim, back, 0);
                for (int d = 0; d < headDim; d++) {
                    out[outOff + qi * headDim + d] += back[d];
                }
            }
        }
        if (upTo > n) {
            values16.accumulate(kvHead, n, upTo, w, wOff, upTo, numQueries, out, outOff);
        }
    }

    private void checkRange(int upTo) {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
        if (upTo < 0 || upTo > size) {
            throw new IllegalArgumentException("upTo " + upTo + " outside 0.." + size);
        }
    }

    /** Keys as the cache sees them, rotated back ({@code size x headDim}); for tests and quality reports. */
    public float[] decodedKeys(int h) {
        float[] out = new float[size * headDim];
        float[] y = new float[headDim];
        for (int t = 0; t < size; t++) {
            if (t < coded) {
                float a = Float.float16ToFloat(keyScale[h][t]);
                float[] tables = keyCodec.tables();
                for (int d = 0; d < headDim; d++) {
                    float v = 0;
                    for (int s = 0; s < keyCodec.stages(); s++) {
                        v += tables[s * ResidualScalarCodec.TABLE_STRIDE
                                + StageBlockCodes.get(keyCodes[h], 0, headDim, keyCodec.bits(), keyCodec.stages(), t, s, d)];
                    }
                    y[d] = a * v;
                }
                rotations[h].unrotate(y, 0, out, t * headDim);
            } else {
                keyWindow.get(h, t, out, t * headDim);
            }
        }
        return out;
    }

    /** Values as the cache sees them ({@code size x headDim}). */
    public float[] decodedValues(int h) {
        float[] out = new float[size * headDim];
        float[] y = new float[headDim];
        for (int t = 0; t < size; t++) {
            if (valueCodec != null && t < coded) {
                valueCodec.decode(valueCodes[h], t * valueCodec.rowBytes(), valueScale[h][t], y, 0);
                rotations[h].unrotate(y, 0, out, t * headDim);
            } else {
                values16.get(h, t, out, t * headDim);
            }
        }
        return out;
    }

    @Override
    public CacheFootprint footprint() {
        if (closed) {
            return CacheFootprint.EMPTY;
        }
        long fp16Row = 2L * headDim;
        long keyBytes = (long) kvHeads * ((long) coded * (keyCodec.rowBytes() + 2) + (size - coded) * fp16Row);
        long valueBytes = valueCodec == null ? (long) kvHeads * size * fp16Row
                : (long) kvHeads * ((long) coded * (valueCodec.rowBytes() + 2) + (size - coded) * fp16Row);
        return new CacheFootprint(size, (long) size * kvHeads * headDim, keyBytes, valueBytes);
    }

    @Override
    public void close() {
        closed = true;
        keyCodes = null;
        keyScale = null;
        valueCodes = null;
        valueScale = null;
        keyWindow = null;
        values16 = null;
        size = 0;
        coded = 0;
    }
}
