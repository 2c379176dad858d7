package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.tensor.EncodedTensor;

/**
 * Keys encoded by {@link CommVQQuantizer}: per (batch, kvHead) slice the block codes, the fp16 grid
 * of every block and pair, and the fp16 token norms. A last partial block is stored as a whole one
 * (its unused code slots are counted in {@link #bytes()}).
 */
public record CommVQEncoded(int batch, int kvHeads, int seq, int headDim, CommVQParams params,
                            byte[][] codes, short[][] meta, short[][] norms) implements EncodedTensor {

    public int blocks() {
        return (seq + params.groupSize() - 1) / params.groupSize();
    }

    @Override
    public long bytes() {
        long n = 0;
        for (int i = 0; i < codes.length; i++) {
            n += codes[i].length + 2L * meta[i].length + 2L * norms[i].length;
        }
        return n;
    }
}
