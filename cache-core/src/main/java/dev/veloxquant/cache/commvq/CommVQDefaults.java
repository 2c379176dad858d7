package dev.veloxquant.cache.commvq;

/** Calibration-free defaults, chosen by the measurements in docs/manual/commvq.md. */
final class CommVQDefaults {
    /** Divide each token and head by its fp16 L2 norm before fitting the block grids. */
    static final boolean TOKEN_NORM = true;
    /** Grid steps as 8-bit log codes (with token norms): a quarter bit per element less than fp16 steps. */
    static final boolean COMPACT_STEPS = true;

    /** First tokens whose keys the cache also keeps in fp16 (attention sinks). */
    static final int SINK_TOKENS = 1;

    private CommVQDefaults() {
    }
}
