package dev.veloxquant.cache;

/**
 * How much each RoPE pair of each KV head weighs in the attention scores, per layer: an estimate of
 * {@code E|q_p|² · Var(k_p)} that the model runtime derives from its weights. CommVQ spreads a
 * head's key bits over its pairs by it ({@code PairBitAllocation}).
 *
 * @param weights {@code [layer][kvHead][pair]}, positive and finite
 */
public record KeyPairImportance(float[][][] weights) {
    public KeyPairImportance {
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("key pair importance needs at least one layer");
        }
    }

    /** {@code [kvHead][pair]} of one layer. */
    public float[][] layer(int layer) {
        return weights[layer];
    }

    /** Whether it matches these shapes. */
    public boolean fits(int layers, int kvHeads, int pairs) {
        if (weights.length != layers) {
            return false;
        }
        for (float[][] l : weights) {
            if (l.length != kvHeads) {
                return false;
            }
            for (float[] h : l) {
                if (h.length != pairs) {
                    return false;
                }
            }
        }
        return true;
    }
}
