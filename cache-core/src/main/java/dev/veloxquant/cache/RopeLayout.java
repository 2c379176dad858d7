package dev.veloxquant.cache;

/** How a head vector's dimensions are paired for the rotary embedding. */
public enum RopeLayout {
    /** Pair (i, i + headDim/2): Hugging Face Llama's rotate_half convention. */
    HALF,
    /** Pair (2i, 2i + 1): the original RoPE / GGUF / Meta checkpoint convention. */
    INTERLEAVED;

    /** Index of the first element of pair {@code p} in a head vector of {@code headDim}. */
    public int first(int p, int headDim) {
        return this == HALF ? p : 2 * p;
    }

    /** Index of the second element of pair {@code p}. */
    public int second(int p, int headDim) {
        return this == HALF ? p + headDim / 2 : 2 * p + 1;
    }
}
