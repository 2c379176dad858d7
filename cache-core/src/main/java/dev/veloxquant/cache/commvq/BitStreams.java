package dev.veloxquant.cache.commvq;

/** Reads and writes pair codes: the uniform layouts of {@link CommVQParams} and plain little-endian bit streams. */
final class BitStreams {
    private BitStreams() {
    }

    /** {@code bits} bits from bit {@code bit} of the stream at {@code region}. */
    static int read(byte[] codes, int region, long bit, int bits) {
        int c = 0;
        for (int i = 0; i < bits; i++) {
            long b = bit + i;
            c |= ((codes[region + (int) (b >>> 3)] >>> (b & 7)) & 1) << i;
        }
        return c;
    }

    static void write(byte[] codes, int region, long bit, int bits, int c) {
        for (int i = 0; i < bits; i++) {
            long b = bit + i;
            int idx = region + (int) (b >>> 3);
            int m = 1 << (b & 7);
            codes[idx] = (byte) (((c >>> i) & 1) != 0 ? (codes[idx] | m) : (codes[idx] & ~m));
        }
    }

    /** The uniform layout: byte-split runs when a pair code divides a byte, else a bit stream. */
    static int splitOrStream(CommVQParams p, byte[] codes, int region, int t) {
        int k = p.codesPerByte();
        int bitsPer = p.pairCodeBits();
        if (k > 0) {
            int run = p.groupSize() / k;
            int shift = (t / run) * bitsPer;
            return ((codes[region + t % run] & 0xFF) >>> shift) & ((1 << bitsPer) - 1);
        }
        return read(codes, region, (long) t * bitsPer, bitsPer);
    }

    static void putSplitOrStream(CommVQParams p, byte[] codes, int region, int t, int c) {
        int k = p.codesPerByte();
        int bitsPer = p.pairCodeBits();
        if (k > 0) {
            int run = p.groupSize() / k;
            int shift = (t / run) * bitsPer;
            int idx = region + t % run;
            int mask = ((1 << bitsPer) - 1) << shift;
            codes[idx] = (byte) ((codes[idx] & ~mask) | (c << shift));
            return;
        }
        write(codes, region, (long) t * bitsPer, bitsPer, c);
    }
}
