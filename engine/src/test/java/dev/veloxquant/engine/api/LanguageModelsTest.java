package dev.veloxquant.engine.api;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.engine.testing.TinyModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The public entry point on a random model with a real byte-level BPE tokenizer.json. */
class LanguageModelsTest {
    @TempDir
    Path tmp;

    private Path model() throws Exception {
        TinyModelWriter w = new TinyModelWriter();
        w.vocab = 657;
        w.tied = false;
        Path dir = w.write(tmp.resolve("m"));
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/gpt2.tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"bos_token_id\": 256, \"eos_token_id\": 257", "\"bos_token_id\": 656, \"eos_token_id\": 656"));
        return dir;
    }

    @Test
    void loadsAndGeneratesStreamingText() throws Exception {
        List<String> progress = new ArrayList<>();
        try (LanguageModel m = LanguageModels.load(model(), "tiny-gpt2", progress::add, 2)) {
            assertThat(progress).anyMatch(l -> l.contains("layer 2/2"));
            assertThat(m.id()).isEqualTo("tiny-gpt2");
            assertThat(m.vocabSize()).isEqualTo(657);
            assertThat(m.geometry().numKvHeads()).isEqualTo(2);
            int[] prompt = m.tokenizer().encode("Hello world, this is");
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = m.generate(new GenerationRequest(prompt, SamplingParams.greedy(), 12, List.of(), Set.of(), true,
                    2, false, KVCacheConfig.fp16()), new GenerationListener() {
                @Override
                public void onToken(GeneratedToken t) {
                    streamed.append(t.textDelta());
                }
            }, () -> false);
            assertThat(r.tokens()).hasSize(12);
            assertThat(r.text()).isEqualTo(streamed.toString()).isEqualTo(m.tokenizer().decode(r.tokens(), true));
            assertThat(r.topLogprobs()).hasSize(12).allSatisfy(top -> assertThat(top).hasSize(2));
            assertThat(r.kvCache().tokens()).isEqualTo(prompt.length + 11);
            assertThatThrownBy(() -> m.chatTemplate().render(List.of(), true)).hasMessageContaining("chat template");
        }
    }

    @Test
    void missingDirectoryOrTokenizerFailsClearly() throws Exception {
        assertThatThrownBy(() -> LanguageModels.load(tmp.resolve("nope"), "x", s -> { })).hasMessageContaining("nope");
        Path dir = new TinyModelWriter().write(tmp.resolve("no-tokenizer"));
        assertThatThrownBy(() -> LanguageModels.load(dir, "x", s -> { })).hasMessageContaining("tokenizer.json");
    }
}
