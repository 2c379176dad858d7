package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RotaryEmbedding;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * RoPE angles split as {@code t·ω = t0·ω + j·ω} with {@code t0} the start of {@code t}'s block of
 * {@code G} tokens and {@code j < G}: the kernel rotates the query once per block by
 * {@code −t0·ω} and each key by the in-block offset {@code j·ω}, so no angle is ever taken per
 * token. Angles are exact ({@code t·ω} in double, as {@link RotaryEmbedding#angle}); cos and sin
 * are then rounded to float. One table per (rotary embedding, block size), shared by every layer
 * and sequence of a model, hence not charged to a cache's footprint.
 */
final class RopeTables {
    private static final Map<RotaryEmbedding, RopeTables[]> SHARED = new WeakHashMap<>();

    private final RotaryEmbedding rope;
    private final int groupSize;
    private final int pairs;
    /** cos/sin of j·ω_p at [p·G + j]: the lanes of one pair are consecutive tokens. */
    final float[] inCos;
    final float[] inSin;
    final float[] inNegSin;
    /** cos/sin of j·ω_p at [j·pairs + p]: the lanes are pairs (for fp16 window tokens). */
    final float[] inCosT;
    final float[] inSinT;
    /** cos/sin of (b·G)·ω_p at [b·pairs + p]; grown on demand, replaced (never mutated) when grown. */
    private volatile float[][] blockStart = {new float[0], new float[0]};

    private RopeTables(RotaryEmbedding rope, int groupSize) {
        this.rope = rope;
        this.groupSize = groupSize;
        this.pairs = rope.pairs();
        this.inCos = new float[pairs * groupSize];
        this.inSin = new float[pairs * groupSize];
        this.inNegSin = new float[pairs * groupSize];
        this.inCosT = new float[pairs * groupSize];
        this.inSinT = new float[pairs * groupSize];
        for (int p = 0; p < pairs; p++) {
            for (int j = 0; j < groupSize; j++) {
                double a = rope.angle(p, j);
                inCos[p * groupSize + j] = (float) Math.cos(a);
                inSin[p * groupSize + j] = (float) Math.sin(a);
                inNegSin[p * groupSize + j] = -inSin[p * groupSize + j];
                inCosT[j * pairs + p] = inCos[p * groupSize + j];
                inSinT[j * pairs + p] = inSin[p * groupSize + j];
            }
        }
    }

    static RopeTables of(RotaryEmbedding rope, int groupSize) {
        synchronized (SHARED) {
            RopeTables[] byLog = SHARED.computeIfAbsent(rope, r -> new RopeTables[11]);
            int k = Integer.numberOfTrailingZeros(groupSize);
            if (byLog[k] == null) {
                byLog[k] = new RopeTables(rope, groupSize);
            }
            return byLog[k];
        }
    }

    int groupSize() {
        return groupSize;
    }

    int pairs() {
        return pairs;
    }

    /** cos and sin of block starts, covering at least {@code blocks} blocks: {@code [0]} cos, {@code [1]} sin. */
    float[][] blockStarts(int blocks) {
        float[][] t = blockStart;
        if (t[0].length >= blocks * pairs) {
            return t;
        }
        synchronized (this) {
            t = blockStart;
            if (t[0].length >= blocks * pairs) {
                return t;
            }
            int n = Math.max(blocks, Math.max(64, 2 * t[0].length / Math.max(1, pairs)));
            float[] c = new float[n * pairs];
            float[] s = new float[n * pairs];
            for (int b = 0; b < n; b++) {
                for (int p = 0; p < pairs; p++) {
                    double a = rope.angle(p, b * groupSize);
                    c[b * pairs + p] = (float) Math.cos(a);
                    s[b * pairs + p] = (float) Math.sin(a);
                }
            }
            blockStart = t = new float[][] {c, s};
            return t;
        }
    }
}
