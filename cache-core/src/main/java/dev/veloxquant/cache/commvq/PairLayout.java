package dev.veloxquant.cache.commvq;

import java.util.Arrays;

/**
 * Where one KV head keeps the codes of each RoPE pair inside a block, and how wide they are. The
 * uniform layout gives every pair {@code bits × numResiduals} bits per axis ({@link CommVQParams});
 * an allocated layout ({@link PairBitAllocation}) gives pair {@code p} its own {@code axisBits[p]}
 * with the same total, so a block holds exactly as many code bytes either way. Allocated pairs are
 * little-endian bit streams of {@code G} pair codes (real axis in the low bits), one after another.
 */
final class PairLayout {
    private final CommVQParams p;
    private final int[] axisBits;
    private final int[] offset;
    private final boolean allocated;

    private PairLayout(CommVQParams p, int[] axisBits, boolean allocated) {
        this.p = p;
        this.axisBits = axisBits;
        this.allocated = allocated;
        this.offset = new int[axisBits.length + 1];
        for (int q = 0; q < axisBits.length; q++) {
            offset[q + 1] = offset[q] + p.groupSize() * 2 * axisBits[q] / 8;
        }
        if (offset[axisBits.length] != p.blockCodeBytes()) {
            throw new IllegalArgumentException("pair bits " + Arrays.toString(axisBits) + " do not fill a block of "
                    + p.blockCodeBytes() + " bytes");
        }
    }

    static PairLayout uniform(CommVQParams p) {
        int[] bits = new int[p.pairs()];
        Arrays.fill(bits, p.axisBits());
        return new PairLayout(p, bits, false);
    }

    /** The layout for these bits per pair; the uniform one when they are all equal to the mean. */
    static PairLayout of(CommVQParams p, int[] axisBits) {
        if (axisBits.length != p.pairs()) {
            throw new IllegalArgumentException("need bits for " + p.pairs() + " pairs, got " + axisBits.length);
        }
        if (Arrays.stream(axisBits).allMatch(b -> b == p.axisBits())) {
            return uniform(p);
        }
        for (int b : axisBits) {
            if (b < 1 || b > PairBitAllocation.MAX_AXIS_BITS) {
                throw new IllegalArgumentException("bits per axis must be in 1.." + PairBitAllocation.MAX_AXIS_BITS
                        + ": " + Arrays.toString(axisBits));
            }
        }
        return new PairLayout(p, axisBits.clone(), true);
    }

    /** Whether pairs have their own widths (bit-stream regions) rather than the uniform layout. */
    boolean allocated() {
        return allocated;
    }

    int axisBits(int pair) {
        return axisBits[pair];
    }

    int axisMask(int pair) {
        return (1 << axisBits[pair]) - 1;
    }

    int levels(int pair) {
        return 1 << axisBits[pair];
    }

    int pairCodeBits(int pair) {
        return 2 * axisBits[pair];
    }

    /** Levels per axis of the widest pair. */
    int maxLevels() {
        int m = 0;
        for (int b : axisBits) {
            m = Math.max(m, 1 << b);
        }
        return m;
    }

    /** Byte offset of the pair's codes inside a head's block. */
    int offset(int pair) {
        return offset[pair];
    }

    /** A copy of the bits per axis of every pair. */
    int[] axisBits() {
        return axisBits.clone();
    }

    /** The pair code of token {@code t} from the block's codes at {@code codeBase}. */
    int code(byte[] codes, int codeBase, int pair, int t) {
        int region = codeBase + offset[pair];
        if (!allocated) {
            return BitStreams.splitOrStream(p, codes, region, t);
        }
        return BitStreams.read(codes, region, (long) t * pairCodeBits(pair), pairCodeBits(pair));
    }

    /** Writes the pair code of token {@code t}. */
    void put(byte[] codes, int codeBase, int pair, int t, int c) {
        int region = codeBase + offset[pair];
        if (!allocated) {
            BitStreams.putSplitOrStream(p, codes, region, t, c);
            return;
        }
        BitStreams.write(codes, region, (long) t * pairCodeBits(pair), pairCodeBits(pair), c);
    }
}
