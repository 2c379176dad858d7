package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.tensor.KVQuantizer;
import dev.veloxquant.cache.tensor.KVTensor;

/**
 * CommVQ keys on their own: {@code encode} pre-RoPE keys {@code [batch, kvHeads, seq, headDim]},
 * {@code decode} them back (still pre-RoPE). Key bits per element are {@code bits × numResiduals}
 * plus the per-block grid and per-token norm ({@link CommVQEncoded#bitsPerElement()} counts both).
 */
public final class CommVQQuantizer implements KVQuantizer<CommVQEncoded> {
    /** Block size when none is given: the KV-cache config's default group size. */
    public static final int DEFAULT_GROUP_SIZE = 32;

    private final int bits;
    private final int numResiduals;
    private final int groupSize;
    private final RopeLayout layout;
    private final boolean tokenNorm;

    /** Half-split RoPE pairs (Hugging Face Llama), blocks of {@value #DEFAULT_GROUP_SIZE} tokens. */
    public CommVQQuantizer(int bits, int numResiduals) {
        this(bits, numResiduals, RopeLayout.HALF, DEFAULT_GROUP_SIZE);
    }

    public CommVQQuantizer(int bits, int numResiduals, RopeLayout layout, int groupSize) {
        this(bits, numResiduals, layout, groupSize, CommVQDefaults.TOKEN_NORM);
    }

    public CommVQQuantizer(int bits, int numResiduals, RopeLayout layout, int groupSize, boolean tokenNorm) {
        // Validates bits, numResiduals and groupSize with the config's messages.
        new CommVQParams(bits, numResiduals, groupSize, layout, 2, tokenNorm);
        this.bits = bits;
        this.numResiduals = numResiduals;
        this.groupSize = groupSize;
        this.layout = layout;
        this.tokenNorm = tokenNorm;
    }

    public CommVQParams paramsFor(int headDim) {
        return new CommVQParams(bits, numResiduals, groupSize, layout, headDim, tokenNorm);
    }

    @Override
    public CommVQEncoded encode(KVTensor keys) {
        CommVQParams p = paramsFor(keys.headDim());
        BlockCodec codec = new BlockCodec(p);
        int slices = keys.batch() * keys.kvHeads();
        int g = p.groupSize();
        int blocks = (keys.seq() + g - 1) / g;
        byte[][] codes = new byte[slices][blocks * p.blockCodeBytes()];
        short[][] meta = new short[slices][blocks * p.blockMetaShorts()];
        short[][] norms = new short[slices][tokenNorm ? keys.seq() : 0];
        short[] normBuf = new short[g];
        for (int b = 0; b < keys.batch(); b++) {
            for (int h = 0; h < keys.kvHeads(); h++) {
                int s = b * keys.kvHeads() + h;
                for (int blk = 0; blk < blocks; blk++) {
                    int n = Math.min(g, keys.seq() - blk * g);
                    codec.encode(keys.data(), keys.offset(b, h, blk * g), keys.headDim(), n, codes[s],
                            blk * p.blockCodeBytes(), meta[s], blk * p.blockMetaShorts(), normBuf, 0);
                    if (tokenNorm) {
                        System.arraycopy(normBuf, 0, norms[s], blk * g, n);
                    }
                }
            }
        }
        return new CommVQEncoded(keys.batch(), keys.kvHeads(), keys.seq(), keys.headDim(), p, codes, meta, norms);
    }

    @Override
    public KVTensor decode(CommVQEncoded e) {
        CommVQParams p = e.params();
        BlockCodec codec = new BlockCodec(p);
        KVTensor out = KVTensor.zeros(e.batch(), e.kvHeads(), e.seq(), e.headDim());
        int g = p.groupSize();
        short[] normBuf = new short[g];
        for (int b = 0; b < e.batch(); b++) {
            for (int h = 0; h < e.kvHeads(); h++) {
                int s = b * e.kvHeads() + h;
                for (int blk = 0; blk < e.blocks(); blk++) {
                    int n = Math.min(g, e.seq() - blk * g);
                    if (p.tokenNorm()) {
                        System.arraycopy(e.norms()[s], blk * g, normBuf, 0, n);
                    }
                    codec.decode(e.codes()[s], blk * p.blockCodeBytes(), e.meta()[s], blk * p.blockMetaShorts(),
                            normBuf, 0, n, out.data(), out.offset(b, h, blk * g), e.headDim());
                }
            }
        }
        return out;
    }
}
