package dev.veloxquant.cache.uniform;

/** Which elements share a (scale, zero) pair in KIVI-style quantization. */
public enum QuantAxis {
    /** Keys: each channel over a group of consecutive tokens (KIVI per-channel key quantization). */
    PER_CHANNEL,
    /** Values: each token over a group of consecutive channels (KIVI per-token value quantization). */
    PER_TOKEN
}
