package dev.veloxquant.cache;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KVCacheConfigTest {

    private static void rejects(Runnable r, String field, String message) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidKVCacheConfigException.class,
                e -> assertThat(e.field()).isEqualTo(field)).hasMessageContaining(message);
    }

    @Test
    void defaultsAreTwoBitsTimesTwoResidualsWithTheMethodsValueWidth() {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.COMMVQ);
        assertThat(c.nominalKeyBits()).isEqualTo(4);
        assertThat(c.effectiveValueBits()).isEqualTo(16);
        assertThat(KVCacheConfig.of(KVCacheMethod.INT4).effectiveValueBits()).isEqualTo(4);
        assertThat(KVCacheConfig.of(KVCacheMethod.INT2).nominalKeyBits()).isEqualTo(2);
        assertThat(KVCacheConfig.of(KVCacheMethod.TURBOQUANT).withBits(3).withNumResiduals(1).nominalKeyBits()).isEqualTo(3);
        assertThat(KVCacheConfig.of(KVCacheMethod.INT8).withValueBits(16).effectiveValueBits()).isEqualTo(16);
    }

    @Test
    void parsesMethodNamesAndNamesTheAllowedOnes() {
        assertThat(KVCacheMethod.parse(" CommVQ ")).isEqualTo(KVCacheMethod.COMMVQ);
        rejects(() -> KVCacheMethod.parse("int3"), "method", "allowed: fp16, int8, int4, int2, commvq, turboquant");
        rejects(() -> KVCacheMethod.parse(null), "method", "unknown KV-cache method");
    }

    @Test
    void invalidCombinationsNameTheField() {
        rejects(() -> KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(5), "bits", "1, 2, 3 or 4");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.TURBOQUANT).withBits(0), "bits", "got 0");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.COMMVQ).withNumResiduals(0), "num_residuals", "1, 2, 3 or 4");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.INT4).withBits(3), "bits", "fixed by method int4");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.INT8).withNumResiduals(3), "num_residuals", "commvq and turboquant only");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.COMMVQ).withValueBits(3), "value_bits", "16, 8, 4 or 2");
        rejects(() -> KVCacheConfig.fp16().withValueBits(4), "value_bits", "must be 16 for fp16");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.INT4).withGroupSize(48), "group_size", "power of two");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.INT4).withWindowSize(-1), "window_size", "0..4096");
        rejects(() -> new KVCacheConfig(null, 2, 2, null, 32, 32, null), "method", "required");
    }

    @Test
    void codebookBelongsToCommvqAndIsCheckedWhenTheCacheIsBuilt() {
        rejects(() -> KVCacheConfig.of(KVCacheMethod.INT4).withCodebookPath(Path.of("x.bin")), "codebook", "commvq only");
        rejects(() -> KVCacheConfig.of(KVCacheMethod.COMMVQ).withCodebookPath(Path.of(" ")), "codebook", "must name a file");
        // existence and match are the builder's checks (CommVQCodebookTest): the path may be relative to the model
        assertThat(KVCacheConfig.of(KVCacheMethod.COMMVQ).withCodebookPath(Path.of("x.bin")).codebookPath())
                .isEqualTo(Path.of("x.bin"));
    }

    @Test
    void intMethodsAcceptTheirOwnWidthOrTheDefault() {
        assertThat(KVCacheConfig.of(KVCacheMethod.INT4).withBits(4).nominalKeyBits()).isEqualTo(4);
        assertThat(KVCacheConfig.of(KVCacheMethod.INT8).withNumResiduals(1).nominalKeyBits()).isEqualTo(8);
    }
}
