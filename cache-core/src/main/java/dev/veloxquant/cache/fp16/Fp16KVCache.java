package dev.veloxquant.cache.fp16;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.simd.Fp16Kernels;

import java.util.Arrays;

/**
 * The baseline: post-RoPE keys and values stored as IEEE half floats, per KV head contiguous in
 * token order so a score pass streams one array.
 */
public final class Fp16KVCache implements KVCache {
    private final int kvHeads;
    private final int headDim;
    private short[][] keys;   // [kvHead][token * headDim + d]
    private short[][] values;
    private int size;
    private boolean closed;

    public Fp16KVCache(int kvHeads, int headDim) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new short[kvHeads][16 * headDim];
        this.values = new short[kvHeads][16 * headDim];
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
    public void append(float[] k, int keysOff, float[] v, int valuesOff, int count) {
        ensureOpen();
        ensureCapacity(size + count);
        for (int t = 0; t < count; t++) {
            for (int h = 0; h < kvHeads; h++) {
                int src = (t * kvHeads + h) * headDim;
                int dst = (size + t) * headDim;
                short[] kh = keys[h];
                short[] vh = values[h];
                for (int d = 0; d < headDim; d++) {
                    kh[dst + d] = Float.floatToFloat16(k[keysOff + src + d]);
                    vh[dst + d] = Float.floatToFloat16(v[valuesOff + src + d]);
                }
            }
        }
        size += count;
    }

    @Override
    public void scores(int kvHead, float[] q, int qOff, int numQueries, int upTo, float[] out, int outOff) {
        Fp16Kernels.scores(keys[kvHead], 0, upTo, headDim, q, qOff, numQueries, out, outOff, upTo);
    }

    @Override
    public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
        Arrays.fill(out, outOff, outOff + numQueries * headDim, 0f);
        Fp16Kernels.accumulate(values[kvHead], 0, upTo, headDim, w, wOff, upTo, numQueries, out, outOff);
    }

    @Override
    public CacheFootprint footprint() {
        if (closed) {
            return CacheFootprint.EMPTY;
        }
        long elements = (long) size * kvHeads * headDim;
        return new CacheFootprint(size, elements, 2 * elements, 2 * elements);
    }

    @Override
    public void close() {
        closed = true;
        keys = null;
        values = null;
        size = 0;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }

    private void ensureCapacity(int tokens) {
        int need = tokens * headDim;
        if (need <= keys[0].length) {
            return;
        }
        int cap = Math.max(need, keys[0].length * 2);
        for (int h = 0; h < kvHeads; h++) {
            keys[h] = Arrays.copyOf(keys[h], cap);
            values[h] = Arrays.copyOf(values[h], cap);
        }
    }
}
