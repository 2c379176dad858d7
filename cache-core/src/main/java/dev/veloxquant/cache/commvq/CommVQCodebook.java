package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * A calibrated CommVQ key codebook for one model: per layer, KV head and RoPE pair the bits per axis
 * {@code b_p} (how the head's {@code bits × numResiduals} per axis on average are spread over its
 * pairs, {@link PairBitAllocation}, from the calibration text's queries and keys), and per axis the
 * {@code L_p = 2^b_p} levels {@code u_0 < … < u_{L−1}} (grid units) of the complex centres
 * {@code (lo_x + step_x·u_a) + i·(lo_y + step_y·u_b)}; {@code lo, step} stay per block (see
 * {@link LevelGrid}). Fitted by EM on calibration keys ({@link CodebookFit}); shared by every
 * sequence of the model, so not charged to a sequence's footprint (like the RoPE tables).
 *
 * <p>File format, version 2, little-endian ({@link #FILE_PREFIX}{@code b<bits>r<R>.bin} next to the
 * model):
 * <pre>
 *  0  4  magic "CVQB"
 *  4  2  version (2)
 *  6  1  bits per stage        7  1  residual stages
 *  8  1  RoPE layout (0 half-split, 1 interleaved)   9  1  reserved (0)
 * 10  2  layers               12  2  KV heads
 * 14  2  head_dim             16  2  group size the levels were fitted for
 * 18  2  mean levels per axis 2^(bits·R)             20  4  reserved (0)
 * 24  8  calibration tokens (informational)
 * 32  layers·kvHeads·(head_dim/2) bytes: bits per axis of each pair [layer][head][pair], each head's sum
 *     (head_dim/2)·bits·R
 *  …  float32 levels [layer][head][pair][axis (0 real, 1 imaginary)][2^b_pair]
 * end 4  CRC32 of every byte before it
 * </pre>
 */
public final class CommVQCodebook {
    public static final String FILE_PREFIX = "commvq-codebook-";
    private static final int MAGIC = 'C' | 'V' << 8 | 'Q' << 16 | 'B' << 24;
    public static final int VERSION = 2;
    private static final int HEADER = 32;

    private final int bits;
    private final int numResiduals;
    private final RopeLayout layout;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int groupSize;
    private final long calibrationTokens;
    /** Bits per axis, [layer][head][pair] flattened. */
    private final byte[] pairBits;
    private final float[] levels;
    /** Offset of each (layer, head) table in {@link #levels}, plus the total at the end. */
    private final int[] headOffset;
    /** Padded tables per (layer, head), built on first use. */
    private final float[][] padded;

    /** A codebook whose pairs all keep {@code bits × numResiduals} bits per axis. */
    public CommVQCodebook(int bits, int numResiduals, RopeLayout layout, int layers, int kvHeads, int headDim,
                          int groupSize, long calibrationTokens, float[] levels) {
        this(bits, numResiduals, layout, layers, kvHeads, headDim, groupSize, calibrationTokens,
                uniformBits(layers * kvHeads * (headDim / 2), bits * numResiduals), levels);
    }

    /**
     * @param pairBits bits per axis {@code [layer][head][pair]}, 1..{@link PairBitAllocation#MAX_AXIS_BITS},
     *                 each head's sum {@code pairs × bits × numResiduals} (or all equal to {@code bits × numResiduals})
     * @param levels   {@code [layer][head][pair][axis][2^pairBits]}, each axis strictly increasing and finite
     */
    public CommVQCodebook(int bits, int numResiduals, RopeLayout layout, int layers, int kvHeads, int headDim,
                          int groupSize, long calibrationTokens, byte[] pairBits, float[] levels) {
        // validates the shape
        CommVQParams params = new CommVQParams(bits, numResiduals, groupSize, layout, headDim, true, true);
        if (layers <= 0 || kvHeads <= 0) {
            throw new IllegalArgumentException("layers and kvHeads must be positive, got " + layers + ", " + kvHeads);
        }
        int pairs = headDim / 2;
        if (pairBits.length != layers * kvHeads * pairs) {
            throw new IllegalArgumentException("expected bits for " + layers * kvHeads * pairs + " pairs, got "
                    + pairBits.length);
        }
        this.headOffset = new int[layers * kvHeads + 1];
        for (int lh = 0; lh < layers * kvHeads; lh++) {
            int[] b = new int[pairs];
            long n = 0;
            for (int p = 0; p < pairs; p++) {
                b[p] = pairBits[lh * pairs + p];
                n += 2L << b[p];
            }
            PairLayout.of(params, b); // validates widths and their sum
            if (headOffset[lh] + n > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("codebook too large");
            }
            headOffset[lh + 1] = (int) (headOffset[lh] + n);
        }
        if (levels.length != headOffset[layers * kvHeads]) {
            throw new IllegalArgumentException("expected " + headOffset[layers * kvHeads] + " levels, got " + levels.length);
        }
        int at = 0;
        for (int a = 0; a < layers * kvHeads * pairs * 2; a++) {
            int l = 1 << pairBits[a / 2];
            for (int i = 0; i < l; i++) {
                float u = levels[at + i];
                if (!Float.isFinite(u) || (i > 0 && !(u > levels[at + i - 1]))) {
                    throw new IllegalArgumentException("levels of axis table " + a + " are not finite and strictly increasing");
                }
            }
            at += l;
        }
        this.bits = bits;
        this.numResiduals = numResiduals;
        this.layout = layout;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.groupSize = groupSize;
        this.calibrationTokens = calibrationTokens;
        this.pairBits = pairBits.clone();
        this.levels = levels.clone();
        this.padded = new float[layers * kvHeads][];
    }

    private static byte[] uniformBits(int n, int axisBits) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) axisBits);
        return b;
    }

    /** {@code commvq-codebook-b<bits>r<R>.bin}: the name the builder looks for next to a model. */
    public static String fileName(int bits, int numResiduals) {
        return FILE_PREFIX + "b" + bits + "r" + numResiduals + ".bin";
    }

    public int bits() {
        return bits;
    }

    public int numResiduals() {
        return numResiduals;
    }

    public RopeLayout layout() {
        return layout;
    }

    public int layers() {
        return layers;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public int groupSize() {
        return groupSize;
    }

    public long calibrationTokens() {
        return calibrationTokens;
    }

    /** Mean levels per axis, {@code 2^(bits·numResiduals)} (every pair's when the bits are not spread). */
    public int levelsPerAxis() {
        return 1 << (bits * numResiduals);
    }

    /** Bits per axis of each pair of one layer and head. */
    public int[] pairBits(int layer, int head) {
        int pairs = headDim / 2;
        int[] b = new int[pairs];
        for (int p = 0; p < pairs; p++) {
            b[p] = pairBits[(layer * kvHeads + head) * pairs + p];
        }
        return b;
    }

    /** Level {@code i} of one axis table. */
    public float level(int layer, int head, int pair, int axis, int i) {
        int lh = layer * kvHeads + head;
        int at = headOffset[lh];
        for (int p = 0; p < pair; p++) {
            at += 2 << pairBits[lh * (headDim / 2) + p];
        }
        return levels[at + axis * (1 << pairBits[lh * (headDim / 2) + pair]) + i];
    }

    /**
     * The padded table of one layer and head that codec and scorer read ({@link LevelGrid}), built once
     * and shared by every sequence (read-only): with a wide pair it holds {@code 2^bits} floats per axis
     * of every pair of the head.
     */
    synchronized float[] headTable(int layer, int head) {
        int lh = layer * kvHeads + head;
        if (padded[lh] == null) {
            padded[lh] = LevelGrid.padded(levels, headOffset[lh], pairBits(layer, head));
        }
        return padded[lh];
    }

    /** Bytes of the file (and, within a few, of the codebook in memory). */
    public long fileBytes() {
        return HEADER + pairBits.length + 4L * levels.length + 4;
    }

    /**
     * Why this codebook cannot serve a cache of this shape, or null if it can: every field must match
     * (the levels were fitted for exactly this model, bit split and block size).
     */
    public String mismatch(int bits, int numResiduals, RopeLayout layout, int layers, int kvHeads, int headDim,
                           int groupSize) {
        if (bits != this.bits || numResiduals != this.numResiduals) {
            return "fitted for bits=" + this.bits + " num_residuals=" + this.numResiduals + ", the cache asks bits="
                    + bits + " num_residuals=" + numResiduals;
        }
        if (layers != this.layers || kvHeads != this.kvHeads || headDim != this.headDim) {
            return "fitted for " + this.layers + " layers x " + this.kvHeads + " KV heads x head_dim " + this.headDim
                    + ", the model has " + layers + " x " + kvHeads + " x " + headDim;
        }
        if (layout != this.layout) {
            return "fitted for RoPE layout " + this.layout + ", the model uses " + layout;
        }
        if (groupSize != this.groupSize) {
            return "fitted for group_size " + this.groupSize + ", the cache asks " + groupSize;
        }
        return null;
    }

    public void write(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) fileBytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort((short) VERSION).put((byte) bits).put((byte) numResiduals)
                .put((byte) (layout == RopeLayout.HALF ? 0 : 1)).put((byte) 0)
                .putShort((short) layers).putShort((short) kvHeads).putShort((short) headDim)
                .putShort((short) groupSize).putShort((short) levelsPerAxis()).putInt(0).putLong(calibrationTokens);
        b.put(pairBits);
        for (float u : levels) {
            b.putFloat(u);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, b.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads and validates a codebook file; every defect is an {@link IOException} saying what is wrong. */
    public static CommVQCodebook read(Path file) throws IOException {
        long size = Files.size(file);
        if (size < HEADER + 4 || size > (1L << 30)) {
            throw new IOException(file + " is not a CommVQ codebook file (" + size + " bytes)");
        }
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) {
            throw new IOException(file + " is not a CommVQ codebook file (bad magic)");
        }
        int version = b.getShort() & 0xFFFF;
        if (version != VERSION) {
            throw new IOException(file + ": codebook version " + version + " is not supported (this build reads " + VERSION
                    + "; rerun scripts/calibrate-commvq.sh)");
        }
        int bits = b.get();
        int res = b.get();
        int layoutCode = b.get();
        b.get();
        int layers = b.getShort() & 0xFFFF;
        int kvHeads = b.getShort() & 0xFFFF;
        int headDim = b.getShort() & 0xFFFF;
        int group = b.getShort() & 0xFFFF;
        int l = b.getShort() & 0xFFFF;
        b.getInt();
        long tokens = b.getLong();
        if (layoutCode != 0 && layoutCode != 1) {
            throw new IOException(file + ": unknown RoPE layout code " + layoutCode);
        }
        if (bits < 1 || bits > 4 || res < 1 || res > 4 || l != 1 << (bits * res)) {
            throw new IOException(file + ": inconsistent header (bits " + bits + ", residuals " + res + ", levels " + l + ")");
        }
        int pairs = headDim / 2;
        long bitBytes = (long) layers * kvHeads * pairs;
        if (HEADER + bitBytes + 4 > all.length) {
            throw new IOException(file + ": " + all.length + " bytes, too short for " + bitBytes + " pair widths (truncated or corrupt)");
        }
        byte[] pairBits = new byte[(int) bitBytes];
        b.get(pairBits);
        long nLevels = 0;
        for (byte pb : pairBits) {
            if (pb < 1 || (pb > PairBitAllocation.MAX_AXIS_BITS && pb != bits * res)) {
                throw new IOException(file + ": pair width " + pb + " bits is out of range 1.." + PairBitAllocation.MAX_AXIS_BITS);
            }
            nLevels += 2L << pb;
        }
        long want = HEADER + bitBytes + 4 * nLevels + 4;
        if (all.length != want) {
            throw new IOException(file + ": " + all.length + " bytes, the header implies " + want + " (truncated or corrupt)");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(all, all.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
            throw new IOException(file + ": checksum mismatch (corrupt file)");
        }
        float[] levels = new float[(int) nLevels];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = b.getFloat();
        }
        try {
            return new CommVQCodebook(bits, res, layoutCode == 0 ? RopeLayout.HALF : RopeLayout.INTERLEAVED, layers,
                    kvHeads, headDim, group, tokens, pairBits, levels);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
