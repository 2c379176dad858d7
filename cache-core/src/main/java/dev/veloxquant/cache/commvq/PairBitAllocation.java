package dev.veloxquant.cache.commvq;

import java.util.Arrays;

/**
 * Splits a head's key bits over its RoPE pairs by how much each pair's quantization error can move
 * attention scores. A score is {@code Σ_p Re(conj(q_p)·k_p)} (rotated), so pair {@code p}'s share of
 * the score error is about {@code E|q_p|² · E|e_p|²}, and a uniform grid's {@code E|e_p|²} falls
 * four-fold per extra bit per axis. Greedy reverse water-filling then gives each further bit to the
 * pair with the largest {@code importance_p · 4^(−bits_p)}: the optimum of that model for integer
 * bits. Every pair keeps at least one bit per axis, and at most twice the mean (capped at
 * {@link #MAX_AXIS_BITS}), so the total per token, hence the bits per element, is unchanged.
 */
public final class PairBitAllocation {
    /** Widest axis (bit-stream lanes read 32 bits: a pair code of 2·12 bits plus a shift of up to 7 fits). */
    static final int MAX_AXIS_BITS = 12;
    /** Allocation applies up to this mean width; wider codes are near-lossless and stay uniform. */
    static final int MAX_MEAN_AXIS_BITS = 8;

    private PairBitAllocation() {
    }

    /**
     * Bits per axis for each pair: the sum is {@code importance.length × meanAxisBits}. Uniform when
     * the importances are all equal, not finite or not positive, or {@code meanAxisBits} is above
     * {@link #MAX_MEAN_AXIS_BITS}. Deterministic: ties go to the lower pair.
     */
    public static int[] allocate(float[] importance, int meanAxisBits) {
        int pairs = importance.length;
        int[] bits = new int[pairs];
        Arrays.fill(bits, meanAxisBits);
        if (meanAxisBits > MAX_MEAN_AXIS_BITS || !usable(importance)) {
            return bits;
        }
        int max = Math.min(2 * meanAxisBits, MAX_AXIS_BITS);
        Arrays.fill(bits, 1);
        // gain of the next bit of pair p, up to a constant factor: importance · 4^(−bits)
        double[] gain = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            gain[p] = importance[p] * 0.25;
        }
        for (int left = pairs * (meanAxisBits - 1); left > 0; left--) {
            int best = -1;
            for (int p = 0; p < pairs; p++) {
                if (bits[p] < max && (best < 0 || gain[p] > gain[best])) {
                    best = p;
                }
            }
            bits[best]++;
            gain[best] *= 0.25;
        }
        return bits;
    }

    private static boolean usable(float[] importance) {
        for (float v : importance) {
            if (!(v > 0f) || !Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
