package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.tensor.EncodedTensor;

/**
 * A {@code [batch, kvHeads, seq, headDim]} tensor in KIVI form: one packed code row per (b, h, t) and
 * fp16 scales and zeros. PER_CHANNEL: {@code ceil(seq / groupSize)} groups of tokens per (b, h), each
 * with {@code headDim} (scale, zero) pairs; the last group may be shorter. PER_TOKEN: per (b, h, t),
 * {@code headDim / groupSize} pairs (groupSize clipped to a divisor of headDim).
 */
public record UniformEncodedTensor(int batch, int kvHeads, int seq, int headDim, int bits, int groupSize,
                                   QuantAxis axis, byte[] codes, short[] scales, short[] zeros) implements EncodedTensor {
    @Override
    public long bytes() {
        return codes.length + 2L * scales.length + 2L * zeros.length;
    }
}
