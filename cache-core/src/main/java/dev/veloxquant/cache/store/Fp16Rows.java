package dev.veloxquant.cache.store;

import dev.veloxquant.cache.simd.Fp16Kernels;

import java.util.Arrays;

/**
 * fp16 rows of {@code headDim} per token and KV head, addressed by absolute token index. With a ring
 * capacity the rows live in a fixed ring (slot = t mod capacity: the fp16 window of the newest tokens
 * a compressed cache keeps); with capacity 0 the array grows and keeps every token.
 */
public final class Fp16Rows {
    private final int kvHeads;
    private final int headDim;
    private final int ring;
    private short[][] rows;

    public Fp16Rows(int kvHeads, int headDim, int ringCapacity) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.ring = ringCapacity;
        int initial = ringCapacity > 0 ? ringCapacity : 16;
        this.rows = new short[kvHeads][initial * headDim];
    }

    private int slot(int t) {
        return ring > 0 ? t % ring : t;
    }

    /** Stores token {@code t} of head {@code h} from {@code src[off .. off + headDim)}. */
    public void put(int h, int t, float[] src, int off) {
        int s = slot(t);
        if (ring == 0 && (s + 1) * headDim > rows[h].length) {
            int cap = Math.max((s + 1) * headDim, rows[h].length * 2);
            for (int i = 0; i < kvHeads; i++) {
                rows[i] = Arrays.copyOf(rows[i], cap);
            }
        }
        short[] r = rows[h];
        int b = s * headDim;
        for (int d = 0; d < headDim; d++) {
            r[b + d] = Float.floatToFloat16(src[off + d]);
        }
    }

    /** Token {@code t} of head {@code h} as floats into {@code dst[off ..]}. */
    public void get(int h, int t, float[] dst, int off) {
        short[] r = rows[h];
        int b = slot(t) * headDim;
        for (int d = 0; d < headDim; d++) {
            dst[off + d] = Float.float16ToFloat(r[b + d]);
        }
    }

    /** Scores of tokens {@code [from, to)}; token t's score goes to {@code out[outOff + qi*outStride + t]}. */
    public void scores(int h, int from, int to, float[] q, int qOff, int nq, float[] out, int outOff, int outStride) {
        int t = from;
        while (t < to) {
            int run = runLength(t, to);
            Fp16Kernels.scores(rows[h], slot(t) * headDim, run, headDim, q, qOff, nq, out, outOff + t, outStride);
            t += run;
        }
    }

    /** Adds the weighted values of tokens {@code [from, to)}; token t's weight is {@code w[wOff + qi*wStride + t]}. */
    public void accumulate(int h, int from, int to, float[] w, int wOff, int wStride, int nq, float[] acc, int accOff) {
        int t = from;
        while (t < to) {
            int run = runLength(t, to);
            Fp16Kernels.accumulate(rows[h], slot(t) * headDim, run, headDim, w, wOff + t, wStride, nq, acc, accOff);
            t += run;
        }
    }

    private int runLength(int t, int to) {
        return ring > 0 ? Math.min(to - t, ring - slot(t)) : to - t;
    }

    public void clear() {
        rows = null;
    }
}
