package dev.veloxquant.cache.commvq;

/** Calibration-free defaults, chosen by the measurements in docs/manual/commvq.md. */
final class CommVQDefaults {
    /** Divide each token and head by its fp16 L2 norm before fitting the block grids. */
    static final boolean TOKEN_NORM = true;
    /** Grid steps as 8-bit log codes (with token norms): a quarter bit per element less than fp16 steps. */
    static final boolean COMPACT_STEPS = true;

    /**
     * First tokens whose keys the cache also keeps in fp16 (attention sinks). Off by default: the
     * extra fp16 token would put 4-bit keys a hair above int4's bits per element (same grids, same
     * window), and the quality report checks "no more key bits than int4".
     */
    static final int SINK_TOKENS = Integer.getInteger("veloxquant.commvq.sinkTokens", 0);

    /**
     * Spread each head's key bits over its RoPE pairs by the model's pair importance
     * ({@link PairBitAllocation}); {@code -Dveloxquant.commvq.uniformBits=true} gives every pair the same
     * bits (the ablation in docs/manual/commvq.md).
     */
    static final boolean PAIR_ALLOCATION = !Boolean.getBoolean("veloxquant.commvq.uniformBits");

    private CommVQDefaults() {
    }
}
