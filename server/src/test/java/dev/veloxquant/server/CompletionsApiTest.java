package dev.veloxquant.server;

import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.server.fake.ByteTokenizer;
import dev.veloxquant.server.fake.FakeLanguageModel;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CompletionsApiTest extends ApiTestBase {

    private GenerationRequest lastRequest() {
        return fakeA().requests.getLast();
    }

    @Test
    void nonStreamingResponseHasOpenAiSchemaAndKvUsage() {
        JsonNode r = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"Hello","max_tokens":5,"temperature":0}""");
        assertThat(r.get("id").stringValue()).startsWith("cmpl-");
        assertThat(r.get("object").stringValue()).isEqualTo("text_completion");
        assertThat(r.get("created").longValue()).isGreaterThan(1_700_000_000L);
        assertThat(r.get("model").stringValue()).isEqualTo("fake-a");
        assertThat(r.get("system_fingerprint").stringValue()).isNotBlank();
        JsonNode choice = r.get("choices").get(0);
        assertThat(choice.get("index").intValue()).isZero();
        assertThat(choice.get("text").stringValue()).isEqualTo(FakeLanguageModel.SCRIPT.substring(0, 5));
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").stringValue()).isEqualTo("length");

        JsonNode usage = r.get("usage");
        assertThat(usage.get("prompt_tokens").intValue()).isEqualTo(6); // BOS + 5 bytes
        assertThat(usage.get("completion_tokens").intValue()).isEqualTo(5);
        assertThat(usage.get("total_tokens").intValue()).isEqualTo(11);
        JsonNode kv = usage.get("kv_cache");
        assertThat(kv.get("method").stringValue()).isEqualTo("fp16");
        assertThat(kv.get("key_bits_per_element").doubleValue()).isEqualTo(16.0);
        assertThat(kv.get("value_bits_per_element").doubleValue()).isEqualTo(16.0);
        // 11 tokens x 2 layers x 2 kv heads x 16 dims, keys and values at 2 bytes each
        long fp16 = 11L * 2 * 2 * 16 * 4;
        assertThat(kv.get("fp16_bytes").longValue()).isEqualTo(fp16);
        assertThat(kv.get("bytes").longValue()).isEqualTo(fp16);
        assertThat(kv.get("saved_bytes").longValue()).isZero();
        assertThat(kv.get("compression_ratio").doubleValue()).isEqualTo(1.0);
        for (String f : List.of("bits", "num_residuals", "value_bits", "group_size", "window_size", "tokens")) {
            assertThat(kv.has(f)).as(f).isTrue();
        }
    }

    @Test
    void everySamplingParameterReachesTheEngine() {
        postOk("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":3,"temperature":0.7,"top_p":0.9,"top_k":40,"min_p":0.05,
                 "repetition_penalty":1.1,"presence_penalty":0.5,"frequency_penalty":-0.5,"seed":42,
                 "logit_bias":{"120":-100},"stop":["zz"],"stop_token_ids":[257],"ignore_eos":true,"user":"u-1"}""");
        GenerationRequest q = lastRequest();
        var s = q.sampling();
        assertThat(s.temperature()).isEqualTo(0.7);
        assertThat(s.topP()).isEqualTo(0.9);
        assertThat(s.topK()).isEqualTo(40);
        assertThat(s.minP()).isEqualTo(0.05);
        assertThat(s.repetitionPenalty()).isEqualTo(1.1);
        assertThat(s.presencePenalty()).isEqualTo(0.5);
        assertThat(s.frequencyPenalty()).isEqualTo(-0.5);
        assertThat(s.seed()).isEqualTo(42L);
        assertThat(s.logitBias()).containsEntry(120, -100f);
        assertThat(q.stop()).containsExactly("zz");
        assertThat(q.stopTokenIds()).containsExactly(257);
        assertThat(q.ignoreEos()).isTrue();
        assertThat(q.maxTokens()).isEqualTo(3);
        assertThat(q.topLogprobs()).isEqualTo(-1);
        assertThat(q.promptLogprobs()).isFalse();
    }

    @Test
    void defaultsFollowOpenAi() {
        JsonNode r = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"x"}""");
        GenerationRequest q = lastRequest();
        assertThat(q.maxTokens()).isEqualTo(16);
        assertThat(q.sampling().temperature()).isEqualTo(1.0);
        assertThat(q.sampling().topP()).isEqualTo(1.0);
        assertThat(q.sampling().topK()).isZero();
        assertThat(r.get("choices").get(0).get("text").stringValue()).hasSize(16);
    }

    @Test
    void modelIsOptionalAndDefaultsToTheFirst() {
        JsonNode r = postOk("/v1/completions", """
                {"prompt":"x","max_tokens":1}""");
        assertThat(r.get("model").stringValue()).isEqualTo("fake-a");
    }

    @Test
    void promptFormsGiveOneChoicePerPromptTimesN() {
        JsonNode strings = postOk("/v1/completions", """
                {"model":"fake-a","prompt":["a","bb"],"max_tokens":2,"n":2,"temperature":0}""");
        assertThat(strings.get("choices")).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(strings.get("choices").get(i).get("index").intValue()).isEqualTo(i);
        }
        // each prompt counted once: (1 + 1) + (1 + 2)
        assertThat(strings.get("usage").get("prompt_tokens").intValue()).isEqualTo(5);
        assertThat(strings.get("usage").get("completion_tokens").intValue()).isEqualTo(8);

        postOk("/v1/completions", """
                {"model":"fake-a","prompt":[72,105],"max_tokens":1}""");
        assertThat(lastRequest().promptTokens()).containsExactly(72, 105);

        JsonNode arrays = postOk("/v1/completions", """
                {"model":"fake-a","prompt":[[72],[105,106]],"max_tokens":1}""");
        assertThat(arrays.get("choices")).hasSize(2);
        assertThat(lastRequest().promptTokens()).containsExactly(105, 106);
    }

    @Test
    void textPromptsGetBosTokenPromptsDoNot() {
        postOk("/v1/completions", """
                {"model":"fake-a","prompt":"Hi","max_tokens":1}""");
        assertThat(lastRequest().promptTokens()).containsExactly(ByteTokenizer.BOS, 'H', 'i');
    }

    @Test
    void seedMakesSamplingRepeatableAndChoicesDiffer() {
        String body = """
                {"model":"fake-a","prompt":"x","max_tokens":8,"temperature":1,"seed":7,"n":2}""";
        JsonNode a = postOk("/v1/completions", body);
        JsonNode b = postOk("/v1/completions", body);
        assertThat(a.get("choices").get(0).get("text")).isEqualTo(b.get("choices").get(0).get("text"));
        assertThat(a.get("choices").get(1).get("text")).isEqualTo(b.get("choices").get(1).get("text"));
        assertThat(a.get("choices").get(0).get("text")).isNotEqualTo(a.get("choices").get(1).get("text"));
    }

    @Test
    void stopStringEndsAndIsCutOff() {
        JsonNode r = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":30,"temperature":0,"stop":"fox"}""");
        JsonNode c = r.get("choices").get(0);
        assertThat(c.get("text").stringValue()).isEqualTo("The quick brown ");
        assertThat(c.get("finish_reason").stringValue()).isEqualTo("stop");
    }

    @Test
    void eosFinishesWithStop() {
        JsonNode r = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"[eos]","max_tokens":30,"temperature":0}""");
        assertThat(r.get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("stop");
        assertThat(r.get("usage").get("completion_tokens").intValue()).isEqualTo(4);
    }

    @Test
    void echoAndLogprobs() {
        JsonNode r = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"Hi","max_tokens":3,"temperature":0,"echo":true,"logprobs":2}""");
        JsonNode c = r.get("choices").get(0);
        assertThat(c.get("text").stringValue()).isEqualTo("HiThe");
        JsonNode lp = c.get("logprobs");
        // the prompt's tokens (without the BOS the server added) then the generated ones
        assertThat(lp.get("tokens")).extracting(JsonNode::stringValue).containsExactly("H", "i", "T", "h", "e");
        assertThat(lp.get("token_logprobs").get(2).floatValue()).isEqualTo(-0.25f);
        assertThat(lp.get("text_offset")).extracting(JsonNode::intValue).containsExactly(0, 1, 2, 3, 4);
        assertThat(lp.get("top_logprobs").get(2).size()).isEqualTo(2);
        GenerationRequest q = lastRequest();
        assertThat(q.topLogprobs()).isEqualTo(2);
        assertThat(q.promptLogprobs()).isTrue();
    }

    @Test
    void kvCacheLayersRequestOverModelOverGlobal() {
        JsonNode global = postOk("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":1}""").get("usage").get("kv_cache");
        assertThat(global.get("group_size").intValue()).isEqualTo(32);
        assertThat(global.get("window_size").intValue()).isEqualTo(32);

        JsonNode model = postOk("/v1/completions", """
                {"model":"fake-b","prompt":"x","max_tokens":1}""").get("usage").get("kv_cache");
        assertThat(model.get("group_size").intValue()).isEqualTo(64);
        assertThat(model.get("window_size").intValue()).isEqualTo(16);

        JsonNode request = postOk("/v1/completions", """
                {"model":"fake-b","prompt":"x","max_tokens":1,"kv_cache":{"method":"fp16","group_size":128}}""")
                .get("usage").get("kv_cache");
        assertThat(request.get("group_size").intValue()).isEqualTo(128);
        assertThat(request.get("window_size").intValue()).isEqualTo(16);
        var cfg = fakes.get("fake-b").requests.getLast().kvCache();
        assertThat(cfg.method()).isEqualTo(KVCacheMethod.FP16);
        assertThat(cfg.groupSize()).isEqualTo(128);
        assertThat(cfg.windowSize()).isEqualTo(16);
    }

    @Test
    void switchingKvCacheMethodPerRequestShowsInUsage() {
        String prompt = "a".repeat(200);
        java.util.Map<String, JsonNode> byMethod = new java.util.LinkedHashMap<>();
        for (String method : List.of("fp16", "int8", "int4", "int2", "commvq", "turboquant")) {
            JsonNode kv = postOk("/v1/completions", "{\"model\":\"fake-a\",\"prompt\":\"" + prompt
                    + "\",\"max_tokens\":8,\"temperature\":0,\"kv_cache\":{\"method\":\"" + method + "\"}}")
                    .get("usage").get("kv_cache");
            assertThat(kv.get("method").stringValue()).isEqualTo(method);
            assertThat(lastRequest().kvCache().method()).isEqualTo(KVCacheMethod.parse(method));
            assertThat(kv.get("tokens").intValue()).isEqualTo(209);
            assertThat(kv.get("fp16_bytes").longValue()).isEqualTo(209L * 2 * 2 * 16 * 4);
            assertThat(kv.get("saved_bytes").longValue())
                    .isEqualTo(kv.get("fp16_bytes").longValue() - kv.get("bytes").longValue());
            byMethod.put(method, kv);
        }
        assertThat(byMethod.get("fp16").get("compression_ratio").doubleValue()).isEqualTo(1.0);
        for (String m : List.of("int8", "int4", "int2", "commvq", "turboquant")) {
            assertThat(byMethod.get(m).get("compression_ratio").doubleValue()).as(m).isGreaterThan(1.0);
            assertThat(byMethod.get(m).get("key_bits_per_element").doubleValue()).as(m).isLessThan(16.0);
        }
        // fewer bits, fewer bytes
        assertThat(byMethod.get("int2").get("bytes").longValue()).isLessThan(byMethod.get("int4").get("bytes").longValue());
        assertThat(byMethod.get("int4").get("bytes").longValue()).isLessThan(byMethod.get("int8").get("bytes").longValue());
        JsonNode commvq1 = postOk("/v1/completions", "{\"model\":\"fake-a\",\"prompt\":\"" + prompt
                + "\",\"max_tokens\":8,\"temperature\":0,\"kv_cache\":{\"method\":\"commvq\",\"bits\":1,\"num_residuals\":1}}")
                .get("usage").get("kv_cache");
        assertThat(commvq1.get("bits").intValue()).isEqualTo(1);
        assertThat(commvq1.get("num_residuals").intValue()).isEqualTo(1);
        assertThat(commvq1.get("bytes").longValue()).isLessThan(byMethod.get("commvq").get("bytes").longValue());
    }

    @Test
    void kvCacheAsMethodName() {
        postOk("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":1,"kv_cache":"fp16"}""");
        assertThat(lastRequest().kvCache().method()).isEqualTo(KVCacheMethod.FP16);
    }

    @Test
    void streamingSendsTextChunksThenFinishThenUsageThenDone() {
        List<JsonNode> chunks = streamChunks("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":6,"temperature":0,"stream":true,
                 "stream_options":{"include_usage":true}}""");
        String id = chunks.getFirst().get("id").stringValue();
        StringBuilder text = new StringBuilder();
        JsonNode finish = null;
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertThat(c.get("id").stringValue()).isEqualTo(id);
            assertThat(c.get("object").stringValue()).isEqualTo("text_completion");
            JsonNode choice = c.get("choices").get(0);
            assertThat(choice.get("index").intValue()).isZero();
            text.append(choice.get("text").stringValue());
            if (!choice.get("finish_reason").isNull()) {
                finish = c;
            }
        }
        assertThat(text.toString()).isEqualTo(FakeLanguageModel.SCRIPT.substring(0, 6));
        assertThat(finish).isNotNull();
        assertThat(finish.get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("length");
        assertThat(finish.get("usage").get("kv_cache").get("method").stringValue()).isEqualTo("fp16");
        JsonNode usageChunk = chunks.getLast();
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage").get("completion_tokens").intValue()).isEqualTo(6);
        assertThat(usageChunk.get("usage").get("kv_cache").get("bytes").longValue()).isPositive();
    }

    @Test
    void streamingWithoutIncludeUsageHasNoUsageChunk() {
        List<JsonNode> chunks = streamChunks("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":3,"temperature":0,"stream":true}""");
        assertThat(chunks.getLast().get("choices").get(0).get("finish_reason").stringValue()).isEqualTo("length");
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("choices")).isNotEmpty());
    }

    @Test
    void streamingHoldsBackAPossibleStopString() {
        List<JsonNode> chunks = streamChunks("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":30,"temperature":0,"stream":true,"stop":["quick"]}""");
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            text.append(c.get("choices").get(0).get("text").stringValue());
        }
        assertThat(text.toString()).isEqualTo("The ");
    }

    @Test
    void streamingEchoAndLogprobs() {
        List<JsonNode> chunks = streamChunks("/v1/completions", """
                {"model":"fake-a","prompt":"Hi","max_tokens":2,"temperature":0,"stream":true,"echo":true,"logprobs":1}""");
        assertThat(chunks.getFirst().get("choices").get(0).get("text").stringValue()).isEqualTo("Hi");
        JsonNode second = chunks.get(1).get("choices").get(0);
        assertThat(second.get("text").stringValue()).isEqualTo("T");
        assertThat(second.get("logprobs").get("token_logprobs").get(0).doubleValue()).isCloseTo(-0.25, within(1e-6));
        assertThat(second.get("logprobs").get("text_offset").get(0).intValue()).isEqualTo(2);
    }

    @Test
    void streamingSeveralChoicesKeepTheirIndex() {
        List<JsonNode> chunks = streamChunks("/v1/completions", """
                {"model":"fake-a","prompt":"x","max_tokens":2,"temperature":0,"stream":true,"n":3}""");
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        int finishes = 0;
        for (JsonNode c : chunks) {
            JsonNode choice = c.get("choices").get(0);
            texts[choice.get("index").intValue()].append(choice.get("text").stringValue());
            finishes += choice.get("finish_reason").isNull() ? 0 : 1;
        }
        assertThat(finishes).isEqualTo(3);
        assertThat(texts).allSatisfy(t -> assertThat(t.toString()).isEqualTo("Th"));
    }
}
