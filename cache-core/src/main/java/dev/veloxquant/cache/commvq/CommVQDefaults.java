package dev.veloxquant.cache.commvq;

/** Calibration-free defaults, chosen by the measurements in docs/manual/commvq.md. */
final class CommVQDefaults {
    /** Divide each token and head by its fp16 L2 norm before fitting the block grids. */
    static final boolean TOKEN_NORM = true;

    private CommVQDefaults() {
    }
}
