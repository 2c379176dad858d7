package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.KVCacheMethod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QualityMarkdownTest {

    private static QualityRow row(String label, String method, double keyBits, double keyMse, double ppl, double basePpl) {
        return new QualityRow(label, method, keyBits, 16, 1.5, keyMse, 0, 0.01, 1e-4, 0.99, ppl, 100 * (ppl / basePpl - 1));
    }

    @Test
    void barsFollowTheFigures() {
        List<QualityRow> rows = List.of(
                row("fp16", "fp16", 16, 0, 20.0, 20.0),
                row("int4", "int4", 5.17, 2e-3, 20.02, 20.0),
                row("int2", "int2", 3.2, 5e-2, 20.5, 20.0),
                row("commvq 2x2", "commvq", 5.0, 1.5e-3, 20.01, 20.0),
                row("commvq 1x2", "commvq", 2.5, 3e-2, 20.6, 20.0));
        String md = QualityMarkdown.render(rows, "m", 8, 2048, 512, 1, "cmd", "quality.png");
        assertThat(md).contains("| commvq 2x2 | 5.00 |")
                .contains("PASS: commvq 4-bit keys (2x2, fp16 values) raise perplexity by ≤ 1 % (+0.050%)")
                .contains("PASS: commvq 4-bit keys use no more key bits than int4")
                .contains("PASS: commvq 4-bit beats int4 in key MSE")
                .contains("PASS: commvq 4-bit beats int4 in perplexity (20.0100 vs 20.0200)")
                .contains("PASS: commvq 1x2 (2-bit keys) beats int2 in key MSE")
                .doesNotContain("vb16")
                .contains("FAIL: commvq 1x2 (2-bit keys) beats int2 in perplexity (20.6000 vs 20.5000)");
    }

    @Test
    void keysAreComparedWithKeysOnlyKiviWhenTheReportHasIt() {
        List<QualityRow> rows = List.of(
                row("fp16", "fp16", 16, 0, 20.0, 20.0),
                row("int4", "int4", 5.17, 2e-3, 20.05, 20.0),
                row("int4 vb16", "int4", 5.17, 2e-3, 20.005, 20.0),
                row("commvq 2x2", "commvq", 5.0, 1.5e-3, 20.01, 20.0));
        assertThat(QualityMarkdown.render(rows, "m", 8, 2048, 512, 1, "cmd", "quality.png"))
                .contains("FAIL: commvq 4-bit beats int4 vb16 in perplexity (20.0100 vs 20.0050)")
                .contains("PASS: commvq 4-bit beats int4 vb16 in key MSE");
    }

    @Test
    void aCalibratedRowIsJudgedOnWhatReachesTheModelWithKeyMseShownBeside() {
        QualityRow def = new QualityRow("commvq 1x2", "commvq", 3.4, 16, 1.6, 2.4e-2, 0, 5.0e-2, 4.0e-3, 0.96, 20.10, 0.5);
        QualityRow cal = new QualityRow("commvq 1x2 cal", "commvq", 3.4, 16, 1.6, 2.6e-2, 0, 4.8e-2, 4.5e-3, 0.97, 20.05, 0.25);
        String md = QualityMarkdown.render(List.of(row("fp16", "fp16", 16, 0, 20.0, 20.0), def, cal), "m", 8, 2048, 512, 1,
                "cmd", "quality.png");
        assertThat(md).contains("PASS: commvq 1x2 cal uses no more key bits than the calibration-free default")
                .contains("PASS: commvq 1x2 cal beats the calibration-free default in attention-output error (4.800e-02 vs 5.000e-02)")
                .contains("FAIL: commvq 1x2 cal beats the calibration-free default in KL vs fp16 (4.500e-03 vs 4.000e-03)")
                .contains("PASS: commvq 1x2 cal beats the calibration-free default in perplexity (20.0500 vs 20.1000)")
                .contains("- (beside the bars) commvq 1x2 cal key MSE 2.600e-02 vs 2.400e-02 calibration-free")
                .doesNotContain("cal beats the calibration-free default in key MSE");
    }

    @Test
    void parsesMethodListsAndPutsTheFp16ReferenceFirst() {
        List<QualityConfigs.Named> c = QualityConfigs.parse("int4,commvq:b=1:r=2:vb=4,turboquant:b=2:r=1");
        assertThat(c).extracting(QualityConfigs.Named::label)
                .containsExactly("fp16", "int4", "commvq 1x2 vb4", "turboquant 2x1");
        assertThat(c.get(2).config().method()).isEqualTo(KVCacheMethod.COMMVQ);
        assertThat(c.get(2).config().nominalKeyBits()).isEqualTo(2);
        assertThat(c.get(2).config().effectiveValueBits()).isEqualTo(4);
        assertThatThrownBy(() -> QualityConfigs.parse("commvq:x=1")).hasMessageContaining("unknown option 'x'");
        assertThatThrownBy(() -> QualityConfigs.parse("int3")).hasMessageContaining("allowed: fp16, int8");
    }

    @Test
    void defaultSettingsCoverEveryMethodWithFp16First() {
        List<QualityConfigs.Named> c = QualityConfigs.defaults();
        assertThat(c.get(0).config().method()).isEqualTo(KVCacheMethod.FP16);
        assertThat(c).extracting(n -> n.config().method()).contains(KVCacheMethod.values());
    }
}
