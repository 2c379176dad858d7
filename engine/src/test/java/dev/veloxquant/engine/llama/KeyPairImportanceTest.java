package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.KeyPairImportance;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.quality.QualityMetrics;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.safetensors.SafeTensorsFile;
import dev.veloxquant.engine.safetensors.Tensor;
import dev.veloxquant.engine.testing.ByteTokenizer;
import dev.veloxquant.engine.testing.TinyModelWriter;
import dev.veloxquant.engine.tokenizer.EmbeddedModel;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.nio.file.Files;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pair importance the engine derives from the weights: its value recomputed independently from
 * the checkpoint (the embedded model, and a tiny Qwen2-style model with q/k biases), and its use: on the recorded attention tensors, CommVQ with bits
 * spread by it has a smaller attention-output error than with every pair at the same bits.
 */
class KeyPairImportanceTest {
    private static LlamaLanguageModel model;

    @BeforeAll
    static void load() {
        Assumptions.assumeTrue(Files.isRegularFile(EmbeddedModel.directory().resolve("model.safetensors"))
                && Files.isRegularFile(EmbeddedModel.reference("kv.safetensors")), "embedded model not present");
        model = (LlamaLanguageModel) LanguageModels.load(EmbeddedModel.directory(), "velox-tiny", s -> { });
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void equalsTheQueryAndKeyRowEnergiesOfTheCheckpoint() {
        ModelGeometry g = model.geometry();
        KeyPairImportance imp = g.keyPairImportance();
        assertThat(imp).isNotNull();
        assertThat(imp.fits(g.numLayers(), g.numKvHeads(), g.headDim() / 2)).isTrue();
        int d = g.headDim();
        int hidden = model.config().hiddenSize();
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> t = SafeTensorsFile.open(EmbeddedModel.directory().resolve("model.safetensors"), arena).tensors();
            for (int[] lhp : new int[][] {{0, 0, 0}, {2, 1, 5}, {5, 0, 31}, {3, 1, 17}}) {
                int l = lhp[0];
                int h = lhp[1];
                int p = lhp[2];
                float[] wq = t.get("model.layers." + l + ".self_attn.q_proj.weight").toFloatArray();
                float[] wk = t.get("model.layers." + l + ".self_attn.k_proj.weight").toFloatArray();
                float[] gamma = t.get("model.layers." + l + ".input_layernorm.weight").toFloatArray();
                double qe = 0;
                for (int qh = h * g.groupSize(); qh < (h + 1) * g.groupSize(); qh++) {
                    // Hugging Face rotate-half pairs: dimension p with p + d/2
                    qe += energy(wq, qh * d + p, gamma, hidden) + energy(wq, qh * d + p + d / 2, gamma, hidden);
                }
                double ke = energy(wk, h * d + p, gamma, hidden) + energy(wk, h * d + p + d / 2, gamma, hidden);
                assertThat((double) imp.layer(l)[h][p]).as("layer %d head %d pair %d", l, h, p)
                        .isCloseTo(qe * ke, Percentage.withPercentage(1e-3));
            }
        }
    }

    @Test
    void addsTheQueryBiasButNotTheKeyBias(@TempDir Path tmp) throws Exception {
        // Qwen2-style q/k/v biases, fp16 weights, GQA 2:1, head_dim 16
        TinyModelWriter spec = LlamaForwardTest.variant("qwen2-f16-bias");
        Path dir = spec.write(tmp.resolve("qwen2"));
        int d = spec.effectiveHeadDim();
        int group = spec.heads / spec.kvHeads;
        try (LlamaLanguageModel m = LlamaLanguageModel.load(dir, "qwen2", s -> { }, new ByteTokenizer(), (x, g) -> "", 1);
             Arena arena = Arena.ofConfined()) {
            KeyPairImportance imp = m.geometry().keyPairImportance();
            Map<String, Tensor> t = SafeTensorsFile.open(dir.resolve("model.safetensors"), arena).tensors();
            for (int l = 0; l < spec.layers; l++) {
                String a = "model.layers." + l + ".self_attn.";
                float[] wq = t.get(a + "q_proj.weight").toFloatArray();
                float[] bq = t.get(a + "q_proj.bias").toFloatArray();
                float[] wk = t.get(a + "k_proj.weight").toFloatArray();
                float[] gamma = t.get("model.layers." + l + ".input_layernorm.weight").toFloatArray();
                for (int h = 0; h < spec.kvHeads; h++) {
                    for (int p = 0; p < d / 2; p++) {
                        double qe = 0;
                        for (int qh = h * group; qh < (h + 1) * group; qh++) {
                            for (int row : new int[] {qh * d + p, qh * d + p + d / 2}) {
                                qe += energy(wq, row, gamma, spec.hidden) + (double) bq[row] * bq[row];
                            }
                        }
                        double ke = energy(wk, h * d + p, gamma, spec.hidden) + energy(wk, h * d + p + d / 2, gamma, spec.hidden);
                        assertThat((double) imp.layer(l)[h][p]).as("layer %d head %d pair %d", l, h, p)
                                .isCloseTo(qe * ke, Percentage.withPercentage(1e-3));
                    }
                }
            }
        }
    }

    private static double energy(float[] w, int row, float[] gamma, int cols) {
        double s = 0;
        for (int c = 0; c < cols; c++) {
            double v = (double) w[row * cols + c] * gamma[c];
            s += v * v;
        }
        return s;
    }

    @Test
    void spreadingBitsByItLowersTheAttentionErrorOnTheRecordedPassage() {
        ModelGeometry g = model.geometry();
        ModelGeometry uniform = g.withKeyPairImportance(null);
        for (int bits : new int[] {1, 2}) {
            KVCacheConfig cfg = KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(bits).withNumResiduals(2).withValueBits(16)
                    .withCodebookPath(KVCacheConfig.CALIBRATION_FREE);
            double spread = attentionError(g, cfg);
            double same = attentionError(uniform, cfg);
            // measured: 4.94e-2 vs 6.18e-2 (2-bit keys), 1.19e-2 vs 1.43e-2 (4-bit keys)
            assertThat(spread).as("%d-bit keys", 2 * bits).isLessThan(0.9 * same);
        }
    }

    /** Relative L2 error of every layer's causal attention output through the cache, as the quality report measures it. */
    private static double attentionError(ModelGeometry g, KVCacheConfig cfg) {
        double err = 0;
        double ref = 0;
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> t = SafeTensorsFile.open(EmbeddedModel.reference("kv.safetensors"), arena).tensors();
            int seq = (int) t.get("layer0.k_pre").shape()[1];
            for (int l = 0; l < g.numLayers(); l++) {
                float[] q = t.get("layer" + l + ".q").toFloatArray();
                float[] kPre = t.get("layer" + l + ".k_pre").toFloatArray();
                float[] kPost = t.get("layer" + l + ".k_post").toFloatArray();
                float[] v = t.get("layer" + l + ".v").toFloatArray();
                float[] want = QualityMetrics.referenceAttention(q, kPost, v, g.numHeads(), g.numKvHeads(), seq, g.headDim());
                try (SequenceKVCache s = KVCacheBuilder.build(g, cfg)) {
                    KVCache c = s.layer(l);
                    float[] got = QualityMetrics.cacheAttention(c, q, kPre, v, g.numHeads(), g.numKvHeads(), seq, g.headDim());
                    for (int i = 0; i < want.length; i++) {
                        double e = got[i] - want[i];
                        err += e * e;
                        ref += (double) want[i] * want[i];
                    }
                }
            }
        }
        return Math.sqrt(err / ref);
    }
}
