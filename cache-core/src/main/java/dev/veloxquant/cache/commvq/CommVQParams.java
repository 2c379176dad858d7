package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.RopeLayout;

/**
 * Shape of a CommVQ key code. Each 2-D RoPE pair of a head is a complex number; per block of
 * {@code groupSize} tokens and per pair the codebook of stage {@code r} holds the
 * {@code 2^(2·bits)} complex centres {@code θ_a + i·θ_b} of a grid nested inside the previous
 * stage's cell, so after {@code numResiduals} greedy stages each axis of a pair carries
 * {@code axisBits = bits × numResiduals} bits (on average: a head may spread them unevenly over its
 * pairs, {@link PairLayout}). A complex centre commutes with RoPE's rotation,
 * which is what lets attention rotate the query instead of the key.
 *
 * @param bits         bits per element per residual stage (1-4)
 * @param numResiduals residual stages (1-4)
 * @param groupSize    tokens per block sharing one grid per pair (power of two, 8-1024)
 * @param layout       how the model pairs dimensions for RoPE
 * @param headDim      dimensions per head (even)
 * @param tokenNorm    whether each token (and head) is divided by its L2 norm, stored in fp16
 * @param compactSteps grid steps as 8-bit log codes instead of fp16 (needs {@code tokenNorm}: the
 *                     codes span the steps of unit-norm keys)
 */
public record CommVQParams(int bits, int numResiduals, int groupSize, RopeLayout layout, int headDim, boolean tokenNorm,
                           boolean compactSteps) {
    /** fp16 grid values per block and pair: lo and step of the real axis, lo and step of the imaginary axis. */
    public static final int META_PER_PAIR = 4;

    public CommVQParams {
        if (bits < 1 || bits > 4) {
            throw new InvalidKVCacheConfigException("bits", "bits must be 1, 2, 3 or 4 for commvq, got " + bits);
        }
        if (numResiduals < 1 || numResiduals > 4) {
            throw new InvalidKVCacheConfigException("num_residuals", "num_residuals must be 1, 2, 3 or 4 for commvq, got " + numResiduals);
        }
        if (groupSize < 8 || groupSize > 1024 || Integer.bitCount(groupSize) != 1) {
            throw new InvalidKVCacheConfigException("group_size", "group_size must be a power of two in 8..1024, got " + groupSize);
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be positive and even, got " + headDim);
        }
        if (layout == null) {
            throw new IllegalArgumentException("layout is required");
        }
        if (compactSteps && !tokenNorm) {
            throw new IllegalArgumentException("compact steps need token norms");
        }
    }

    public CommVQParams(int bits, int numResiduals, int groupSize, RopeLayout layout, int headDim, boolean tokenNorm) {
        this(bits, numResiduals, groupSize, layout, headDim, tokenNorm, false);
    }

    public int pairs() {
        return headDim / 2;
    }

    /** Bits of one axis of one pair of one token: bits × numResiduals. */
    public int axisBits() {
        return bits * numResiduals;
    }

    /** Grid levels per axis after all stages. */
    public int levels() {
        return 1 << axisBits();
    }

    /** Bits of one pair code (both axes). */
    public int pairCodeBits() {
        return 2 * axisBits();
    }

    /**
     * Pair codes packed per byte in the "split" layout (1, 2 or 4), or 0 when a pair code does not
     * divide a byte and codes are a plain little-endian bit stream.
     */
    public int codesPerByte() {
        int b = pairCodeBits();
        return (b == 2 || b == 4 || b == 8) ? 8 / b : 0;
    }

    /** Bytes of the codes of one pair for one block (groupSize tokens). */
    public int pairBlockBytes() {
        return groupSize * pairCodeBits() / 8;
    }

    /** Bytes of the codes of one head for one block. */
    public int blockCodeBytes() {
        return pairs() * pairBlockBytes();
    }

    /**
     * 16-bit grid words of one head for one block: rows over the pairs of lo(real), step(real),
     * lo(imaginary), step(imaginary) in fp16; compact: lo(real), lo(imaginary), then one word of two
     * 8-bit step codes (real in the low byte).
     */
    public int blockMetaShorts() {
        return pairs() * (compactSteps ? 3 : META_PER_PAIR);
    }

    /** Bytes held per full block of one head: codes, grid and (if used) the norms. */
    public long blockBytes() {
        return blockCodeBytes() + 2L * blockMetaShorts() + (tokenNorm ? 2L * groupSize : 0);
    }
}
