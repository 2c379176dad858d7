package dev.veloxquant.engine.generation;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.FinishReason;
import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.SamplingParams;
import dev.veloxquant.engine.testing.ByteTokenizer;
import dev.veloxquant.engine.testing.ScriptedLm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The generation loop's stop handling, streaming and bookkeeping, on a model that follows a script. */
class GenerationLoopTest {
    private static final int[] PROMPT = {ByteTokenizer.BOS, 'h', 'i'};

    private static class Recorder implements GenerationListener {
        final List<GeneratedToken> tokens = new ArrayList<>();
        SequenceKVCache cache;
        int prefill = -1;

        @Override
        public void onCacheCreated(SequenceKVCache c) {
            cache = c;
        }

        @Override
        public void onPrefillDone(int promptTokens) {
            prefill = promptTokens;
        }

        @Override
        public void onToken(GeneratedToken t) {
            tokens.add(t);
        }

        String streamed() {
            StringBuilder sb = new StringBuilder();
            tokens.forEach(t -> sb.append(t.textDelta()));
            return sb.toString();
        }
    }

    private static GenerationResult run(int[] script, GenerationRequest req, Recorder rec) {
        GenerationLoop loop = new GenerationLoop(new ScriptedLm(260, script), new ByteTokenizer(), Set.of(ByteTokenizer.EOS));
        return loop.run(req, rec, () -> false);
    }

    private static GenerationRequest req(int max, List<String> stop) {
        return new GenerationRequest(PROMPT, SamplingParams.greedy(), max, stop, Set.of(), false, -1, false, KVCacheConfig.fp16());
    }

    @Test
    void stopStringSpanningTokensIsCutAndNeverStreamed() {
        Recorder rec = new Recorder();
        GenerationResult r = run(ScriptedLm.bytes("Hello, world! END more"), req(50, List.of("END", "zzz")), rec);
        assertThat(r.text()).isEqualTo("Hello, world! ");
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(rec.streamed()).isEqualTo(r.text());
        assertThat(rec.tokens).allSatisfy(t -> assertThat(t.textDelta()).doesNotContain("E"));
        assertThat(r.tokens()).hasSize("Hello, world! END".length());
        assertThat(rec.cache.isClosed()).isTrue();
        assertThat(rec.prefill).isEqualTo(3);
    }

    @Test
    void heldBackTextIsReleasedWhenTheStopStringDoesNotComplete() {
        Recorder rec = new Recorder();
        GenerationResult r = run(ScriptedLm.bytes("a ENx EN"), req(8, List.of("END")), rec);
        assertThat(r.text()).isEqualTo("a ENx EN");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(rec.streamed()).isEqualTo("a ENx EN");
        // "E" and "N" were held while they could start "END", released with "x".
        assertThat(rec.tokens.get(2).textDelta()).isEmpty();
        assertThat(rec.tokens.get(3).textDelta()).isEmpty();
        assertThat(rec.tokens.get(4).textDelta()).isEqualTo("ENx");
    }

    @Test
    void utf8SplitAcrossTokensStreamsWholeCharacters() {
        String text = "héllo 🙂 ü";
        Recorder rec = new Recorder();
        GenerationResult r = run(ScriptedLm.bytes(text), req(ScriptedLm.bytes(text).length, List.of()), rec);
        assertThat(r.text()).isEqualTo(text);
        assertThat(rec.streamed()).isEqualTo(text);
        assertThat(rec.tokens).allSatisfy(t -> assertThat(t.textDelta()).doesNotContain("\uFFFD"));
        assertThat(rec.tokens.get(1).textDelta()).isEmpty();      // first byte of é
        assertThat(rec.tokens.get(2).textDelta()).isEqualTo("é");
        assertThat(rec.tokens.get(10).textDelta()).isEqualTo("🙂"); // fourth byte of the emoji
    }

    @Test
    void eosStopsUnlessIgnoredAndStopTokenIdsStopToo() {
        int[] script = IntStream.concat(IntStream.of(ScriptedLm.bytes("ok")), IntStream.of(ByteTokenizer.EOS, 'x', 'y', 259, 'z')).toArray();
        Recorder rec = new Recorder();
        GenerationResult r = run(script, req(20, List.of()), rec);
        assertThat(r.text()).isEqualTo("ok");
        assertThat(r.tokens()).containsExactly('o', 'k', ByteTokenizer.EOS);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);

        GenerationRequest ignore = new GenerationRequest(PROMPT, SamplingParams.greedy(), 20, List.of(), Set.of(259), true, -1, false, KVCacheConfig.fp16());
        GenerationResult r2 = run(script, ignore, new Recorder());
        assertThat(r2.tokens()).containsExactly('o', 'k', ByteTokenizer.EOS, 'x', 'y', 259);
        assertThat(r2.text()).isEqualTo("okxy");
        assertThat(r2.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void cancellationIsCheckedBeforeEveryTokenAndTheCacheIsClosed() {
        Recorder rec = new Recorder();
        GenerationLoop loop = new GenerationLoop(new ScriptedLm(260, ScriptedLm.bytes("abcdefgh")), new ByteTokenizer(), Set.of());
        GenerationResult r = loop.run(req(8, List.of()), rec, () -> rec.tokens.size() >= 3);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.tokens()).hasSize(3);
        assertThat(rec.cache.isClosed()).isTrue();
        assertThat(r.kvCache().tokens()).isEqualTo(PROMPT.length + 3);
    }

    @Test
    void aFailingListenerStillClosesTheCache() {
        Recorder rec = new Recorder() {
            @Override
            public void onToken(GeneratedToken t) {
                throw new IllegalStateException("client went away");
            }
        };
        assertThatThrownBy(() -> run(ScriptedLm.bytes("abc"), req(3, List.of()), rec)).hasMessageContaining("client went away");
        assertThat(rec.cache.isClosed()).isTrue();
    }

    @Test
    void logprobsOfChosenAndTopAlternativesAndPrompt() {
        GenerationRequest r = new GenerationRequest(PROMPT, SamplingParams.greedy(), 2, List.of(), Set.of(), false, 3, true, KVCacheConfig.fp16());
        GenerationResult res = run(ScriptedLm.bytes("ab"), r, new Recorder());
        // Logits: 10 for the scripted token, 0 for the 259 others.
        double expected = 10 - Math.log(Math.exp(10) + 259);
        assertThat(res.tokenLogprobs()).hasSize(2);
        assertThat((double) res.tokenLogprobs().get(0).logprob()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(res.topLogprobs().get(0)).hasSize(3);
        assertThat(res.topLogprobs().get(0).get(0).tokenId()).isEqualTo('a');
        assertThat(res.topLogprobs().get(0).get(1).tokenId()).isEqualTo(0);
        assertThat(res.promptLogprobs()).hasSize(3);
        assertThat(res.promptLogprobs().get(0)).isNull();
        assertThat((double) res.promptLogprobs().get(1).logprob()).isCloseTo(-Math.log(260), org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void maxTokensIsBoundedByTheContextAndBadInputIsRejected() {
        GenerationResult r = run(ScriptedLm.bytes("abc"), req(0, List.of()), new Recorder());
        assertThat(r.tokens()).isEmpty();
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThatThrownBy(() -> run(new int[0], new GenerationRequest(new int[0], SamplingParams.greedy(), 1, null, null, false, -1, false, null), new Recorder()))
                .hasMessageContaining("prompt");
        assertThatThrownBy(() -> run(new int[0], new GenerationRequest(new int[]{999}, SamplingParams.greedy(), 1, null, null, false, -1, false, null), new Recorder()))
                .hasMessageContaining("999");
        SamplingParams badTopP = new SamplingParams(1, 0, 0, 0, null, 1, 0, 0, Map.of());
        assertThatThrownBy(() -> run(new int[0], new GenerationRequest(PROMPT, badTopP, 1, null, null, false, -1, false, null), new Recorder()))
                .hasMessageContaining("top_p");
        SamplingParams badTemp = new SamplingParams(-1, 0, 1, 0, null, 1, 0, 0, Map.of());
        assertThatThrownBy(() -> run(new int[0], new GenerationRequest(PROMPT, badTemp, 1, null, null, false, -1, false, null), new Recorder()))
                .hasMessageContaining("temperature");
        SamplingParams biased = new SamplingParams(0, 0, 1, 0, null, 1, 0, 0, Map.of((int) 'q', 100f));
        GenerationResult forced = run(ScriptedLm.bytes("abc"), new GenerationRequest(PROMPT, biased, 3, null, null, false, -1, false, null), new Recorder());
        assertThat(forced.text()).isEqualTo("qqq");
    }
}
