package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.tensor.EncodedTensor;

/**
 * A {@code [batch, kvHeads, seq, headDim]} tensor in TurboQuant form: per (b, h, t) the packed codes
 * of every residual stage ({@code rowBytes} bytes) and one fp16 scale. The rotations are derived from
 * (layer, head) and shared, so they are not part of the tensor's bytes.
 */
public record TurboQuantEncodedTensor(int batch, int kvHeads, int seq, int headDim, int bits, int numResiduals,
                                      int layer, byte[] codes, short[] scales) implements EncodedTensor {
    @Override
    public long bytes() {
        return codes.length + 2L * scales.length;
    }
}
