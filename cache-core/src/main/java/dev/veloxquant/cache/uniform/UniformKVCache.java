package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.simd.PackedCodes;
import dev.veloxquant.cache.simd.TokenBlockCodes;
import dev.veloxquant.cache.simd.UniformKernels;
import dev.veloxquant.cache.store.Fp16Rows;

import java.util.Arrays;

/**
 * KIVI (Liu et al., ICML 2024) for one layer: post-RoPE keys quantized per channel over groups of
 * {@code groupSize} tokens, values per token over groups of channels, asymmetric with fp16 scale and
 * zero, codes packed at {@code keyBits} / {@code valueBits}.
 *
 * <p>Residual window: keys stay fp16 until a whole group of {@code groupSize} tokens lies outside the
 * newest {@code windowSize} tokens, then that group is quantized at once (so between windowSize and
 * windowSize + groupSize - 1 keys are fp16 once the sequence is long enough). Values are quantized one
 * token at a time as they leave the window of the newest {@code windowSize}. With valueBits 16 the
 * values are all kept fp16.
 */
public final class UniformKVCache implements KVCache {
    private final int kvHeads;
    private final int headDim;
    private final int keyBits;
    private final int valueBits;
    private final int groupSize;
    private final int window;
    private final int channelGroup;
    private final int keyRow;   // bytes of one token's key codes (groups are stored token-interleaved)
    private final int valueRow;

    private byte[][] keyCodes;
    private short[][] keyScale;
    private short[][] keyZero;
    private Fp16Rows keyTail;
    private int quantizedKeys;

    private byte[][] valueCodes;
    private short[][][] valueScale;   // [head][channel group][token]
    private short[][][] valueZero;
    private Fp16Rows valueWindow;
    private int quantizedValues;

    private int size;
    private boolean closed;

    public UniformKVCache(int kvHeads, int headDim, int keyBits, int valueBits, int groupSize, int windowSize) {
        if (keyBits != 2 && keyBits != 4 && keyBits != 8) {
            throw new IllegalArgumentException("key bits must be 2, 4 or 8, got " + keyBits);
        }
        if (valueBits != 2 && valueBits != 4 && valueBits != 8 && valueBits != 16) {
            throw new IllegalArgumentException("value bits must be 2, 4, 8 or 16, got " + valueBits);
        }
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keyBits = keyBits;
        this.valueBits = valueBits;
        this.groupSize = groupSize;
        this.window = windowSize;
        this.channelGroup = AffineCodec.valueChannelGroup(groupSize, headDim);
        this.keyRow = PackedCodes.rowBytes(headDim, keyBits);
        this.valueRow = valueBits == 16 ? 0 : PackedCodes.rowBytes(headDim, valueBits);
        keyCodes = new byte[kvHeads][0];
        keyScale = new short[kvHeads][0];
        keyZero = new short[kvHeads][0];
        keyTail = new Fp16Rows(kvHeads, headDim, windowSize + groupSize);
        if (valueBits == 16) {
            valueWindow = new Fp16Rows(kvHeads, headDim, 0);
        } else {
            valueCodes = new byte[kvHeads][0];
            valueScale = new short[kvHeads][headDim / channelGroup][0];
            valueZero = new short[kvHeads][headDim / channelGroup][0];
            valueWindow = window > 0 ? new Fp16Rows(kvHeads, headDim, window) : null;
        }
    }

    public int keyBits() {
        return keyBits;
    }

    public int valueBits() {
        return valueBits;
    }

    /** Channels per (scale, zero) pair of a value token. */
    public int valueChannelGroup() {
        return channelGroup;
    }

    /** Keys held as codes (a multiple of groupSize); the rest are fp16. */
    public int quantizedKeys() {
        return quantizedKeys;
    }

    /** Values held as codes; the rest are fp16. */
    public int quantizedValues() {
        return quantizedValues;
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
        float[] group = new float[groupSize * headDim];
        float[] row = new float[headDim];
        for (int i = 0; i < count; i++) {
            int t = size;
            for (int h = 0; h < kvHeads; h++) {
                keyTail.put(h, t, keys, keysOff + (i * kvHeads + h) * headDim);
            }
            if (valueBits == 16) {
                for (int h = 0; h < kvHeads; h++) {
                    valueWindow.put(h, t, values, valuesOff + (i * kvHeads + h) * headDim);
                }
            } else if (window == 0) {
                for (int h = 0; h < kvHeads; h++) {
                    quantizeValue(h, values, valuesOff + (i * kvHeads + h) * headDim);
                }
                quantizedValues++;
            } else {
                if (t - quantizedValues == window) {
                    for (int h = 0; h < kvHeads; h++) {
                        valueWindow.get(h, quantizedValues, row, 0);
                        quantizeValue(h, row, 0);
                    }
                    quantizedValues++;
                }
                for (int h = 0; h < kvHeads; h++) {
                    valueWindow.put(h, t, values, valuesOff + (i * kvHeads + h) * headDim);
                }
            }
            size = t + 1;
            if (size - quantizedKeys >= window + groupSize) {
                for (int h = 0; h < kvHeads; h++) {
                    for (int j = 0; j < groupSize; j++) {
                        keyTail.get(h, quantizedKeys + j, group, j * headDim);
                    }
                    quantizeKeyGroup(h, group);
                }
                quantizedKeys += groupSize;
            }
        }
    }

    private void quantizeKeyGroup(int h, float[] group) {
        int g = quantizedKeys / groupSize;
        keyCodes[h] = grow(keyCodes[h], (quantizedKeys + groupSize) * keyRow);
        keyScale[h] = grow(keyScale[h], (g + 1) * headDim);
        keyZero[h] = grow(keyZero[h], (g + 1) * headDim);
        AffineCodec.encodeChannelsBlocked(group, 0, headDim, groupSize, headDim, keyBits,
                keyCodes[h], quantizedKeys * keyRow, keyScale[h], keyZero[h], g * headDim);
    }

    private void quantizeValue(int h, float[] src, int off) {
        int t = quantizedValues;
        int groups = headDim / channelGroup;
        valueCodes[h] = grow(valueCodes[h], (t + 1) * valueRow);
        short[] sc = new short[groups];
        short[] zr = new short[groups];
        AffineCodec.encodeToken(src, off, headDim, channelGroup, valueBits, valueCodes[h], t * valueRow, sc, zr, 0);
        for (int g = 0; g < groups; g++) {
            valueScale[h][g] = grow(valueScale[h][g], t + 1);
            valueZero[h][g] = grow(valueZero[h][g], t + 1);
            valueScale[h][g][t] = sc[g];
            valueZero[h][g][t] = zr[g];
        }
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
        int coded = Math.min(upTo, quantizedKeys);
        if (coded > 0) {
            UniformKernels.keyScores(keyCodes[kvHead], 0, headDim, keyBits, groupSize, coded,
                    keyScale[kvHead], keyZero[kvHead], 0, q, qOff, numQueries, out, outOff, upTo);
        }
        if (upTo > coded) {
            keyTail.scores(kvHead, coded, upTo, q, qOff, numQueries, out, outOff, upTo);
        }
    }

    @Override
    public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
        checkRange(upTo);
        Arrays.fill(out, outOff, outOff + numQueries * headDim, 0f);
        int coded = valueBits == 16 ? 0 : Math.min(upTo, quantizedValues);
        if (coded > 0) {
            UniformKernels.valueAccumulate(valueCodes[kvHead], 0, headDim, valueBits, channelGroup,
                    valueScale[kvHead], valueZero[kvHead], 0, coded, w, wOff, upTo, numQueries, out, outOff);
        }
        if (upTo > coded) {
            valueWindow.accumulate(kvHead, coded, upTo, w, wOff, upTo, numQueries, out, outOff);
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

    /** The keys this cache would use for head {@code h}, decoded ({@code size x headDim}); for tests and quality reports. */
    public float[] decodedKeys(int h) {
        float[] out = new float[size * headDim];
        for (int t = 0; t < size; t++) {
            if (t < quantizedKeys) {
                int so = (t / groupSize) * headDim;
                int go = (t / groupSize) * groupSize * keyRow;
                for (int d = 0; d < headDim; d++) {
                    int c = TokenBlockCodes.get(keyCodes[h], go, TokenBlockCodes.subBlock(groupSize), headDim, keyBits, t % groupSize, d);
                    out[t * headDim + d] = Float.float16ToFloat(keyScale[h][so + d]) * c + Float.float16ToFloat(keyZero[h][so + d]);
                }
            } else {
                keyTail.get(h, t, out, t * headDim);
            }
        }
        return out;
    }

    /** The values this cache would use for head {@code h}, decoded ({@code size x headDim}). */
    public float[] decodedValues(int h) {
        float[] out = new float[size * headDim];
        for (int t = 0; t < size; t++) {
            if (valueBits != 16 && t < quantizedValues) {
                for (int d = 0; d < headDim; d++) {
                    int c = PackedCodes.get(valueCodes[h], t * valueRow, headDim, valueBits, d);
                    int g = d / channelGroup;
                    out[t * headDim + d] = Float.float16ToFloat(valueScale[h][g][t]) * c + Float.float16ToFloat(valueZero[h][g][t]);
                }
            } else {
                valueWindow.get(h, t, out, t * headDim);
            }
        }
        return out;
    }

    @Override
    public CacheFootprint footprint() {
        if (closed) {
            return CacheFootprint.EMPTY;
        }
        long keyBytes = (long) kvHeads * ((long) quantizedKeys * keyRow
                + (long) (quantizedKeys / groupSize) * headDim * 4
                + (long) (size - quantizedKeys) * headDim * 2);
        long valueBytes;
        if (valueBits == 16) {
            valueBytes = (long) kvHeads * size * headDim * 2;
        } else {
            valueBytes = (long) kvHeads * ((long) quantizedValues * (valueRow + (headDim / channelGroup) * 4)
                    + (long) (size - quantizedValues) * headDim * 2);
        }
        return new CacheFootprint(size, (long) size * kvHeads * headDim, keyBytes, valueBytes);
    }

    @Override
    public void close() {
        closed = true;
        keyCodes = null;
        keyScale = null;
        keyZero = null;
        valueCodes = null;
        valueScale = null;
        valueZero = null;
        keyTail = null;
        valueWindow = null;
        size = 0;
        quantizedKeys = 0;
        quantizedValues = 0;
    }
}
