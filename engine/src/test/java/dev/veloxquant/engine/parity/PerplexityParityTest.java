package dev.veloxquant.engine.parity;

import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.llama.LlamaForward;
import dev.veloxquant.engine.llama.LlamaLanguageModel;
import dev.veloxquant.engine.sampling.Logprobs;
import dev.veloxquant.engine.tokenizer.EmbeddedModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Held-out perplexity against transformers' figure (reference/perplexity.json), same method:
 * non-overlapping 512-token windows from position 0, no BOS, score the 511 next-token predictions of
 * each. The first four windows keep the test to a few seconds; the bar is 1%.
 */
class PerplexityParityTest {
    private static final int CONTEXT = 512;
    private static final int WINDOWS = 4;

    @Test
    void firstFourWindowsAt512WithinOnePercent() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(EmbeddedModel.directory().resolve("model.safetensors"))
                        && Files.isRegularFile(EmbeddedModel.reference("perplexity.json")),
                "the velox-tiny weights and reference/perplexity.json have not landed in this checkout");
        JsonNode ref = JsonMapper.builder().build().readTree(Files.readString(EmbeddedModel.reference("perplexity.json")));
        JsonNode entry = find(ref, CONTEXT);
        // The quick figure covers the first four windows; a fixture made over fewer windows states its own count.
        JsonNode first4 = entry.get("first4_windows_perplexity");
        int windows = first4 != null && first4.isNumber() ? WINDOWS : entry.get("windows").asInt();
        assertThat(windows).as("windows in perplexity.json").isBetween(1, WINDOWS);
        double expected = first4 != null && first4.isNumber() ? first4.asDouble() : entry.get("perplexity").asDouble();
        String text = Files.readString(EmbeddedModel.directory().resolve("eval/heldout.txt"));
        try (LlamaLanguageModel model = (LlamaLanguageModel) LanguageModels.load(EmbeddedModel.directory(), "velox-tiny", s -> { })) {
            // Pre-tokenization splits locally, so a generous prefix yields the same leading tokens as the whole file.
            int[] ids = model.tokenizer().encode(text.substring(0, Math.min(text.length(), 64 * CONTEXT * windows)));
            assertThat(ids.length).isGreaterThan(CONTEXT * windows + 256);
            LlamaForward f = model.forward();
            int vocab = f.vocabSize();
            double nll = 0;
            int scored = 0;
            for (int w = 0; w < windows; w++) {
                int[] window = Arrays.copyOfRange(ids, w * CONTEXT, (w + 1) * CONTEXT);
                float[] logits;
                try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                    logits = f.forward(window, 0, CONTEXT, cache, true);
                }
                for (int t = 0; t + 1 < CONTEXT; t++) {
                    nll += Logprobs.logSumExp(logits, t * vocab, vocab) - logits[t * vocab + window[t + 1]];
                    scored++;
                }
            }
            double ppl = Math.exp(nll / scored);
            System.out.printf("held-out perplexity, first %d windows @%d: ours %.4f, reference %.4f (%.3f%%)%n",
                    windows, CONTEXT, ppl, expected, 100 * (ppl - expected) / expected);
            assertThat(Math.abs(ppl - expected) / expected).isLessThan(0.01);
        }
    }

    static JsonNode find(JsonNode ref, int context) {
        JsonNode n = ref.get(String.valueOf(context));
        if (n == null && ref.has("contexts")) {
            n = ref.get("contexts").get(String.valueOf(context));
        }
        if (n == null) {
            for (JsonNode e : ref) {
                if (e.isObject() && e.path("context").asInt(-1) == context) {
                    return e;
                }
            }
            throw new IllegalStateException("perplexity.json has no entry for context " + context + ": " + ref);
        }
        return n;
    }
}
