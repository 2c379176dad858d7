package dev.veloxquant.server.kv;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvCacheSettingsTest {
    private static KvCacheSettings s(KVCacheMethod m, Integer bits, Integer res, Integer vb, Integer g, Integer w) {
        return new KvCacheSettings(m, bits, res, vb, g, w, null);
    }

    @Test
    void nothingSetGivesCacheCoreDefaultsWithFp16() {
        KVCacheConfig c = KvCacheSettings.NONE.toConfig();
        assertThat(c).isEqualTo(KVCacheConfig.fp16());
    }

    @Test
    void upperLevelOverridesFieldByField() {
        KvCacheSettings global = s(KVCacheMethod.COMMVQ, 1, 2, 8, 64, 16);
        KvCacheSettings request = s(null, 2, null, null, null, 0);
        KVCacheConfig c = request.over(global).toConfig();
        assertThat(c.method()).isEqualTo(KVCacheMethod.COMMVQ);
        assertThat(c.bits()).isEqualTo(2);
        assertThat(c.numResiduals()).isEqualTo(2);
        assertThat(c.valueBits()).isEqualTo(8);
        assertThat(c.groupSize()).isEqualTo(64);
        assertThat(c.windowSize()).isZero();
    }

    @Test
    void switchingMethodDropsTheMethodBoundFieldsBelowButKeepsGroupAndWindow() {
        KvCacheSettings model = new KvCacheSettings(KVCacheMethod.COMMVQ, 1, 3, 4, 128, 8, Path.of("cb.bin"));
        KVCacheConfig c = s(KVCacheMethod.INT4, null, null, null, null, null).over(model).toConfig();
        assertThat(c.method()).isEqualTo(KVCacheMethod.INT4);
        assertThat(c.bits()).isEqualTo(KVCacheConfig.DEFAULT_BITS);
        assertThat(c.effectiveValueBits()).isEqualTo(4);
        assertThat(c.codebookPath()).isNull();
        assertThat(c.groupSize()).isEqualTo(128);
        assertThat(c.windowSize()).isEqualTo(8);
    }

    @Test
    void sameMethodKeepsEverything() {
        KvCacheSettings model = s(KVCacheMethod.COMMVQ, 1, 3, 4, null, null);
        KVCacheConfig c = s(KVCacheMethod.COMMVQ, null, null, null, null, null).over(model).toConfig();
        assertThat(c.bits()).isEqualTo(1);
        assertThat(c.numResiduals()).isEqualTo(3);
        assertThat(c.valueBits()).isEqualTo(4);
    }

    @Test
    void invalidCombinationNamesTheField() {
        assertThatThrownBy(() -> s(KVCacheMethod.FP16, 4, null, null, null, null).toConfig())
                .isInstanceOf(InvalidKVCacheConfigException.class)
                .extracting(e -> ((InvalidKVCacheConfigException) e).field()).isEqualTo("bits");
    }
}
