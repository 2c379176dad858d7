package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.SamplingParams;
import dev.veloxquant.engine.testing.ByteTokenizer;
import dev.veloxquant.engine.testing.TinyModelWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Whole generations through {@link dev.veloxquant.engine.api.LanguageModel} on a small random model. */
class LlamaGenerateTest {
    @TempDir
    static Path tmp;
    static LlamaLanguageModel model;
    static final int[] PROMPT = {ByteTokenizer.BOS, 'T', 'h', 'e', ' ', 'c', 'a', 't'};

    @BeforeAll
    static void load() throws Exception {
        TinyModelWriter spec = new TinyModelWriter();
        spec.tied = false;   // a random tied model mostly repeats its input token
        model = LlamaLanguageModel.load(spec.write(tmp.resolve("m")), "tiny", s -> { }, new ByteTokenizer(), (m, g) -> "", 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationResult sample(long seed) {
        SamplingParams p = new SamplingParams(1.0, 0, 0.98, 0, seed, 1, 0, 0, Map.of());
        return model.generate(new GenerationRequest(PROMPT, p, 24, List.of(), Set.of(), true, -1, false, KVCacheConfig.fp16()),
                GenerationListener.NONE, () -> false);
    }

    @Test
    void sameSeedSameOutputEvenWithConcurrentGenerations() throws Exception {
        GenerationResult a = sample(1234);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<GenerationResult>> runs = List.of(pool.submit(() -> sample(1234)), pool.submit(() -> sample(99)),
                    pool.submit(() -> sample(1234)));
            assertThat(runs.get(0).get().tokens()).containsExactly(a.tokens());
            assertThat(runs.get(2).get().tokens()).containsExactly(a.tokens());
            assertThat(runs.get(1).get().tokens()).isNotEqualTo(a.tokens());
        } finally {
            pool.shutdown();
        }
        assertThat(a.tokens()).hasSize(24);
        assertThat(a.kvCache().tokens()).isEqualTo(PROMPT.length + 23);
        assertThat(a.kvCache().bytes()).isEqualTo(a.kvCache().fp16Bytes());
    }

    @Test
    void greedyFollowsTheArgmaxOfTheForwardPass() {
        GenerationResult r = model.generate(GenerationRequest.simple(PROMPT, SamplingParams.greedy(), 6, KVCacheConfig.fp16()),
                GenerationListener.NONE, () -> false);
        int[] seq = java.util.Arrays.copyOf(PROMPT, PROMPT.length + r.tokens().length);
        System.arraycopy(r.tokens(), 0, seq, PROMPT.length, r.tokens().length);
        LlamaForward f = model.forward();
        try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
            float[] all = f.forward(seq, 0, seq.length - 1, cache, true);
            for (int i = 0; i < r.tokens().length; i++) {
                int row = PROMPT.length - 1 + i;
                assertThat(LlamaForwardTest.argmax(all, row * f.vocabSize(), f.vocabSize())).as("token %d", i).isEqualTo(r.tokens()[i]);
            }
        }
    }
}
