package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.testing.ByteTokenizer;
import dev.veloxquant.engine.testing.ReferenceLlama;
import dev.veloxquant.engine.testing.TinyModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's forward pass against a naive scalar transformers-style reference on small random
 * models covering the supported layouts. Tolerance: keys and values pass through the fp16 KV cache
 * (relative error ~5e-4 per element) while the reference keeps them in fp32, so logits of size ~1-5
 * may differ by a few 1e-3; 2e-2 leaves margin without hiding a real bug (a wrong rotation or head
 * mapping moves logits by O(1)).
 */
class LlamaForwardTest {
    @TempDir
    Path tmp;

    static TinyModelWriter variant(String name) {
        TinyModelWriter w = new TinyModelWriter();
        switch (name) {
            case "llama-bf16-tied" -> {
            }
            case "llama-f32-untied" -> {
                w.dtype = "F32";
                w.tied = false;
            }
            case "qwen2-f16-bias" -> {
                w.architecture = "Qwen2ForCausalLM";
                w.dtype = "F16";
            }
            case "mistral-headdim-sharded-t5" -> {
                w.architecture = "MistralForCausalLM";
                w.hidden = 96;
                w.heads = 4;
                w.kvHeads = 1;
                w.headDim = 32;
                w.sharded = true;
                w.transformers5 = true;
            }
            default -> throw new IllegalArgumentException(name);
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bf16-tied", "llama-f32-untied", "qwen2-f16-bias", "mistral-headdim-sharded-t5"})
    void matchesTheScalarReferenceAtEveryPosition(String name) throws Exception {
        TinyModelWriter spec = variant(name);
        Path dir = spec.write(tmp.resolve(name));
        int[] tokens = randomTokens(48, spec.vocab, 7);
        ReferenceLlama ref = new ReferenceLlama(dir, spec);
        float[][] expected = ref.logits(tokens);
        ref.close();
        try (LlamaLanguageModel model = LlamaLanguageModel.load(dir, name, s -> { }, new ByteTokenizer(), (m, g) -> "", 2)) {
            LlamaForward f = model.forward();
            float[] all;
            try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                all = f.forward(tokens, 0, tokens.length, cache, true);
            }
            double maxDiff = 0;
            for (int i = 0; i < tokens.length; i++) {
                for (int v = 0; v < spec.vocab; v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(all[i * spec.vocab + v] - expected[i][v]));
                }
                int ours = argmax(all, i * spec.vocab, spec.vocab);
                int theirs = argmax(expected[i], 0, spec.vocab);
                if (ours != theirs) {
                    // Only a near-tie may flip: the two logits must be within tolerance of each other.
                    assertThat(Math.abs(expected[i][ours] - expected[i][theirs])).as("argmax at %d", i).isLessThan(2e-2f);
                }
            }
            System.out.printf("%s: max |logit diff| vs reference = %.3g%n", name, maxDiff);
            assertThat(maxDiff).as("max |logit difference| for %s", name).isLessThan(2e-2);
        }
    }

    /**
     * Every cache method through the forward pass, including CommVQ which takes keys before RoPE: at
     * their widest settings the logits stay near the fp32 reference (prefill + decode both exercised).
     */
    @ParameterizedTest
    @ValueSource(strings = {"int8:0.25", "turboquant:0.5", "commvq:0.5"})
    void everyCacheMethodServesAttention(String spec) throws Exception {
        String method = spec.split(":")[0];
        double tolerance = Double.parseDouble(spec.split(":")[1]);
        TinyModelWriter w = variant("llama-f32-untied");
        Path dir = w.write(tmp.resolve("cache-" + method));
        int[] tokens = randomTokens(48, w.vocab, 3);
        ReferenceLlama ref = new ReferenceLlama(dir, w);
        float[][] expected = ref.logits(tokens);
        ref.close();
        // No fp16 window: every token goes through the codec.
        KVCacheConfig config = KVCacheConfig.of(dev.veloxquant.cache.KVCacheMethod.parse(method)).withWindowSize(0);
        if (!method.equals("int8")) {
            config = config.withBits(4).withNumResiduals(4);
        }
        try (LlamaLanguageModel model = LlamaLanguageModel.load(dir, method, s -> { }, new ByteTokenizer(), (m, g) -> "", 2)) {
            LlamaForward f = model.forward();
            double maxDiff = 0;
            try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), config)) {
                assertThat(cache.layer(0).keysBeforeRope()).isEqualTo(method.equals("commvq"));
                float[] first = f.forward(tokens, 0, 40, cache, true);
                for (int i = 0; i < 40; i++) {
                    for (int v = 0; v < w.vocab; v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(first[i * w.vocab + v] - expected[i][v]));
                    }
                }
                for (int i = 40; i < tokens.length; i++) {
                    float[] last = f.forward(tokens, i, 1, cache, false);
                    for (int v = 0; v < w.vocab; v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(last[v] - expected[i][v]));
                    }
                }
            }
            System.out.printf("%s cache: max |logit diff| vs fp32 reference = %.3g%n", config.method(), maxDiff);
            assertThat(maxDiff).isLessThan(tolerance);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bf16-tied", "qwen2-f16-bias"})
    void prefillThenDecodeEqualsOneBatch(String name) throws Exception {
        TinyModelWriter spec = variant(name);
        Path dir = spec.write(tmp.resolve(name));
        int[] tokens = randomTokens(40, spec.vocab, 11);
        try (LlamaLanguageModel model = LlamaLanguageModel.load(dir, name, s -> { }, new ByteTokenizer(), (m, g) -> "", 2)) {
            LlamaForward f = model.forward();
            float[] batch;
            try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                batch = f.forward(tokens, 0, tokens.length, cache, true);
            }
            try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                float[] last = f.forward(tokens, 0, 25, cache, false);
                assertClose(last, batch, 24 * spec.vocab, spec.vocab);
                for (int i = 25; i < tokens.length; i++) {
                    last = f.forward(tokens, i, 1, cache, false);
                    assertClose(last, batch, i * spec.vocab, spec.vocab);
                }
                assertThat(cache.size()).isEqualTo(tokens.length);
            }
        }
    }

    private static void assertClose(float[] got, float[] all, int off, int n) {
        for (int v = 0; v < n; v++) {
            assertThat(got[v]).isCloseTo(all[off + v], org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[off + i] > a[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
