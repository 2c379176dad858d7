package dev.veloxquant.cache.tensor;

/** A quantized tensor; {@link #bytes()} counts everything it holds (codes, scales, norms, per-tensor codebooks). */
public interface EncodedTensor {
    int batch();

    int kvHeads();

    int seq();

    int headDim();

    long bytes();

    /** Bits per element including all overhead. */
    default double bitsPerElement() {
        long n = (long) batch() * kvHeads() * seq() * headDim();
        return n == 0 ? 0 : bytes() * 8.0 / n;
    }
}
