package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.TestGeometries;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class UniformBuilderTest {
    static final ModelGeometry TINY = TestGeometries.TINY;

    @ParameterizedTest
    @CsvSource({"int8,,8,8", "int4,,4,4", "int2,,2,2", "int2,16,2,16", "int4,2,4,2"})
    void builderMakesKiviLayersWithTheConfiguredWidths(String method, Integer valueBits, int keyBits, int expectValueBits) {
        KVCacheConfig cfg = KVCacheConfig.of(KVCacheMethod.parse(method)).withValueBits(valueBits);
        try (SequenceKVCache seq = KVCacheBuilder.build(TINY, cfg)) {
            assertThat(seq.numLayers()).isEqualTo(6);
            UniformKVCache layer = (UniformKVCache) seq.layer(0);
            assertThat(layer.keyBits()).isEqualTo(keyBits);
            assertThat(layer.valueBits()).isEqualTo(expectValueBits);
            assertThat(layer.valueChannelGroup()).isEqualTo(32);
            float[] x = new float[100 * 2 * 64];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i * 0.37);
            }
            for (int l = 0; l < 6; l++) {
                seq.layer(l).append(x, 0, x, 0, 100);
            }
            // 6 layers of the per-layer bytes; fp16 would hold 6 x 100 x 2 x 64 x 2 bytes for K and for V
            assertThat(seq.footprint().keyBytes()).isEqualTo(6 * layer.footprint().keyBytes());
            assertThat(seq.footprint().fp16Bytes()).isEqualTo(6L * 100 * 2 * 64 * 4);
            assertThat(seq.footprint().bytes()).isLessThan(seq.footprint().fp16Bytes());
        }
    }
}
