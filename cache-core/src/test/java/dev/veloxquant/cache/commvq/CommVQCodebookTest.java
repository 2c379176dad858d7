package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommVQCodebookTest {
    private static final int LAYERS = 2;
    private static final int HEADS = 2;
    private static final int D = 16;

    /** A valid codebook with jittered, increasing levels. */
    static CommVQCodebook codebook(int bits, int res, RopeLayout layout, int layers, int heads, int d, int group, long seed) {
        int l = 1 << (bits * res);
        Random r = new Random(seed);
        float[] lv = new float[layers * heads * d * l];
        for (int a = 0; a < lv.length / l; a++) {
            for (int i = 0; i < l; i++) {
                lv[a * l + i] = i + 0.5f + (float) (r.nextDouble() - 0.5) * 0.6f;
            }
        }
        return new CommVQCodebook(bits, res, layout, layers, heads, d, group, 4096, lv);
    }

    /**
     * A codebook whose pairs have their own widths (random importance through {@link PairBitAllocation});
     * axes up to {@code fittedBits} get random level shapes, wider ones the uniform {@code i + ½} unless
     * {@code shapeAll}.
     */
    static CommVQCodebook allocated(int bits, int res, RopeLayout layout, int layers, int heads, int d, int group,
                                    long seed, boolean shapeAll) {
        Random r = new Random(seed);
        int pairs = d / 2;
        byte[] widths = new byte[layers * heads * pairs];
        int total = 0;
        for (int lh = 0; lh < layers * heads; lh++) {
            float[] imp = new float[pairs];
            for (int p = 0; p < pairs; p++) {
                imp[p] = (float) Math.exp(r.nextGaussian() * 3);
            }
            int[] b = PairBitAllocation.allocate(imp, bits * res);
            for (int p = 0; p < pairs; p++) {
                widths[lh * pairs + p] = (byte) b[p];
                total += 2 << b[p];
            }
        }
        float[] lv = new float[total];
        int at = 0;
        for (byte w : widths) {
            int l = 1 << w;
            for (int a = 0; a < 2; a++) {
                for (int i = 0; i < l; i++) {
                    boolean shaped = shapeAll || w <= CodebookFit.MAX_FITTED_AXIS_BITS;
                    lv[at + i] = i + 0.5f + (shaped ? (float) (r.nextDouble() - 0.5) * 0.6f : 0f);
                }
                at += l;
            }
        }
        return new CommVQCodebook(bits, res, layout, layers, heads, d, group, 4096, widths, lv);
    }

    private static ModelGeometry model(Path dir, RopeLayout layout) {
        return new ModelGeometry("t", LAYERS, 4, HEADS, D, 512, RotaryEmbedding.standard(D, 10000, layout), dir);
    }

    private static void rejects(Runnable r, String message) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidKVCacheConfigException.class,
                e -> assertThat(e.field()).isEqualTo("codebook")).hasMessageContaining(message);
    }

    @Test
    void fileRoundTripKeepsHeaderAndEveryLevel(@TempDir Path dir) throws IOException {
        CommVQCodebook cb = allocated(2, 2, RopeLayout.INTERLEAVED, LAYERS, HEADS, D, 32, 1, false);
        Path f = dir.resolve(CommVQCodebook.fileName(2, 2));
        cb.write(f);
        assertThat(f.getFileName().toString()).isEqualTo("commvq-codebook-b2r2.bin");
        long levels = 0;
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                assertThat(cb.pairBits(l, h)).isNotEqualTo(uniform(D / 2, 4));
                for (int b : cb.pairBits(l, h)) {
                    levels += 2L << b;
                }
            }
        }
        assertThat(Files.size(f)).isEqualTo(cb.fileBytes()).isEqualTo(32 + LAYERS * HEADS * D / 2 + 4 * levels + 4);
        CommVQCodebook back = CommVQCodebook.read(f);
        assertThat(back.bits()).isEqualTo(2);
        assertThat(back.numResiduals()).isEqualTo(2);
        assertThat(back.layout()).isEqualTo(RopeLayout.INTERLEAVED);
        assertThat(back.layers()).isEqualTo(LAYERS);
        assertThat(back.kvHeads()).isEqualTo(HEADS);
        assertThat(back.headDim()).isEqualTo(D);
        assertThat(back.groupSize()).isEqualTo(32);
        assertThat(back.calibrationTokens()).isEqualTo(4096);
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                for (int p = 0; p < D / 2; p++) {
                    assertThat(back.pairBits(l, h)[p]).isEqualTo(cb.pairBits(l, h)[p]);
                    for (int a = 0; a < 2; a++) {
                        for (int i = 0; i < 1 << cb.pairBits(l, h)[p]; i++) {
                            assertThat(back.level(l, h, p, a, i)).isEqualTo(cb.level(l, h, p, a, i));
                        }
                    }
                }
            }
        }
    }

    private static int[] uniform(int n, int b) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, b);
        return a;
    }

    @Test
    void damagedFilesAreRefusedSayingWhy(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("cb.bin");
        codebook(1, 2, RopeLayout.HALF, LAYERS, HEADS, D, 32, 2).write(f);
        byte[] good = Files.readAllBytes(f);

        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> readBytes(dir, magic)).hasMessageContaining("bad magic");
        byte[] version = good.clone();
        version[4] = 9;
        assertThatThrownBy(() -> readBytes(dir, version)).hasMessageContaining("version 9 is not supported");
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 8);
        assertThatThrownBy(() -> readBytes(dir, truncated)).hasMessageContaining("truncated or corrupt");
        byte[] flipped = good.clone();
        flipped[good.length - 10] ^= 1; // inside the levels
        assertThatThrownBy(() -> readBytes(dir, flipped)).hasMessageContaining("checksum mismatch");
        byte[] header = good.clone();
        header[18] = 5; // levels per axis that bits x residuals cannot give
        assertThatThrownBy(() -> readBytes(dir, header)).hasMessageContaining("inconsistent header");
        // levels out of order with a valid checksum
        byte[] order = good.clone();
        ByteBuffer.wrap(order).order(ByteOrder.LITTLE_ENDIAN).putFloat(32 + LAYERS * HEADS * D / 2, 99f);
        assertThatThrownBy(() -> readBytes(dir, recrc(order))).hasMessageContaining("strictly increasing");
        // a pair width out of range, or widths that do not add up to the head's bits, with a valid checksum
        byte[] wide = good.clone();
        wide[32] = 13;
        assertThatThrownBy(() -> readBytes(dir, recrc(wide))).hasMessageContaining("out of range");
        byte[] sum = good.clone();
        sum[32] = 1;
        sum[33] = 1;
        assertThatThrownBy(() -> readBytes(dir, recrc(sum))).isInstanceOf(IOException.class);
        assertThat(readBytes(dir, good).levelsPerAxis()).isEqualTo(4);
    }

    private static byte[] recrc(byte[] b) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static CommVQCodebook readBytes(Path dir, byte[] b) throws IOException {
        Path f = dir.resolve("damaged.bin");
        Files.write(f, b);
        return CommVQCodebook.read(f);
    }

    @Test
    void builderUsesTheFileNextToTheModelAutomatically(@TempDir Path dir) throws IOException {
        ModelGeometry m = model(dir, RopeLayout.HALF);
        KVCacheConfig cfg = KVCacheConfig.of(KVCacheMethod.COMMVQ);
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg)) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNull();
        }
        CommVQCodebook cb = codebook(2, 2, RopeLayout.HALF, LAYERS, HEADS, D, 32, 3);
        cb.write(dir.resolve(CommVQCodebook.fileName(2, 2)));
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg)) {
            CommVQCodebook used = ((CommVQKVCache) s.layer(1)).codebook();
            assertThat(used).isNotNull();
            assertThat(used.level(1, 1, 3, 1, 7)).isEqualTo(cb.level(1, 1, 3, 1, 7));
        }
        // 'none' forces the calibration-free grids; another block size is a choice, not an error
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg.withCodebookPath(KVCacheConfig.CALIBRATION_FREE))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNull();
        }
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg.withGroupSize(64))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNull();
        }
        // a file for other bits is not picked for 1x2
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg.withBits(1))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNull();
        }
    }

    @Test
    void explicitPathsMustExistAndMatch(@TempDir Path dir) throws IOException {
        ModelGeometry m = model(dir, RopeLayout.HALF);
        KVCacheConfig cfg = KVCacheConfig.of(KVCacheMethod.COMMVQ);
        codebook(2, 2, RopeLayout.HALF, LAYERS, HEADS, D, 32, 4).write(dir.resolve("mine.bin"));
        // relative to the model directory, or absolute
        try (SequenceKVCache s = KVCacheBuilder.build(m, cfg.withCodebookPath(Path.of("mine.bin")))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNotNull();
        }
        try (SequenceKVCache s = KVCacheBuilder.build(model(null, RopeLayout.HALF), cfg.withCodebookPath(dir.resolve("mine.bin")))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNotNull();
        }
        rejects(() -> KVCacheBuilder.build(m, cfg.withCodebookPath(Path.of("missing.bin"))), "does not exist");
        rejects(() -> KVCacheBuilder.build(m, cfg.withBits(1).withCodebookPath(Path.of("mine.bin"))),
                "fitted for bits=2 num_residuals=2, the cache asks bits=1");
        rejects(() -> KVCacheBuilder.build(m, cfg.withGroupSize(64).withCodebookPath(Path.of("mine.bin"))),
                "fitted for group_size 32");
        rejects(() -> KVCacheBuilder.build(model(dir, RopeLayout.INTERLEAVED), cfg.withCodebookPath(Path.of("mine.bin"))),
                "RoPE layout");
        codebook(2, 2, RopeLayout.HALF, LAYERS + 1, HEADS, D, 32, 5).write(dir.resolve("other.bin"));
        rejects(() -> KVCacheBuilder.build(m, cfg.withCodebookPath(Path.of("other.bin"))),
                "fitted for 3 layers x 2 KV heads x head_dim 16, the model has 2 x 2 x 16");
        Files.writeString(dir.resolve("text.bin"), "root:x:0:0:root:/root:/bin/bash\\n".repeat(4));
        rejects(() -> KVCacheBuilder.build(m, cfg.withCodebookPath(Path.of("text.bin"))), "not a CommVQ codebook file");
    }

    @Test
    void aStaleFileNextToTheModelIsAnErrorNotSilentlySkipped(@TempDir Path dir) throws IOException {
        codebook(2, 2, RopeLayout.HALF, LAYERS, HEADS + 1, D, 32, 6).write(dir.resolve(CommVQCodebook.fileName(2, 2)));
        rejects(() -> KVCacheBuilder.build(model(dir, RopeLayout.HALF), KVCacheConfig.of(KVCacheMethod.COMMVQ)),
                "found next to the model");
        // and a file rewritten in place is read again
        codebook(2, 2, RopeLayout.HALF, LAYERS, HEADS, D, 32, 7).write(dir.resolve(CommVQCodebook.fileName(2, 2)));
        Files.setLastModifiedTime(dir.resolve(CommVQCodebook.fileName(2, 2)),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        try (SequenceKVCache s = KVCacheBuilder.build(model(dir, RopeLayout.HALF), KVCacheConfig.of(KVCacheMethod.COMMVQ))) {
            assertThat(((CommVQKVCache) s.layer(0)).codebook()).isNotNull();
        }
    }
}
