package dev.veloxquant.server;

import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.server.fake.ByteTokenizer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCompletionsApiTest extends ApiTestBase {

    private GenerationRequest lastRequest() {
        return fakeA().requests.getLast();
    }

    private String lastPrompt() {
        return new ByteTokenizer().decode(lastRequest().promptTokens(), false);
    }

    @Test
    void nonStreamingResponseHasOpenAiSchema() {
        JsonNode r = postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
                 "max_tokens":4,"temperature":0}""");
        assertThat(r.get("id").stringValue()).startsWith("chatcmpl-");
        assertThat(r.get("object").stringValue()).isEqualTo("chat.completion");
        assertThat(r.get("model").stringValue()).isEqualTo("fake-a");
        assertThat(r.get("system_fingerprint").isString()).isTrue();
        JsonNode choice = r.get("choices").get(0);
        assertThat(choice.get("index").intValue()).isZero();
        assertThat(choice.get("message").get("role").stringValue()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").stringValue()).isEqualTo("The ");
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").stringValue()).isEqualTo("length");
        assertThat(lastPrompt()).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n");
        JsonNode usage = r.get("usage");
        assertThat(usage.get("prompt_tokens").intValue()).isEqualTo(lastRequest().promptTokens().length);
        assertThat(usage.get("completion_tokens").intValue()).isEqualTo(4);
        assertThat(usage.get("kv_cache").get("tokens").intValue())
                .isEqualTo(lastRequest().promptTokens().length + 4);
    }

    @Test
    void textPartsDeveloperRoleAndAssistantTurns() {
        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"developer","content":"D"},
                 {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                 {"role":"assistant","content":"c"},{"role":"user","content":"d"}],"max_tokens":1}""");
        assertThat(lastPrompt()).isEqualTo("<|im_start|>system\nD<|im_end|>\n<|im_start|>user\na\nb<|im_end|>\n"
                + "<|im_start|>assistant\nc<|im_end|>\n<|im_start|>user\nd<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void maxTokensAliasesAndDefault() {
        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_completion_tokens":3}""");
        assertThat(lastRequest().maxTokens()).isEqualTo(3);
        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":2}""");
        assertThat(lastRequest().maxTokens()).isEqualTo(2);
        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"[eos]"}]}""");
        // without a limit the rest of the context is available
        assertThat(lastRequest().maxTokens() + lastRequest().promptTokens().length).isEqualTo(512);
    }

    @Test
    void logprobsAndTopLogprobs() {
        JsonNode r = postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":2,"temperature":0,
                 "logprobs":true,"top_logprobs":3}""");
        assertThat(lastRequest().topLogprobs()).isEqualTo(3);
        JsonNode content = r.get("choices").get(0).get("logprobs").get("content");
        assertThat(content).hasSize(2);
        JsonNode first = content.get(0);
        assertThat(first.get("token").stringValue()).isEqualTo("T");
        assertThat(first.get("logprob").floatValue()).isEqualTo(-0.25f);
        assertThat(first.get("bytes")).extracting(JsonNode::intValue).containsExactly((int) 'T');
        assertThat(first.get("top_logprobs")).hasSize(3);
        assertThat(first.get("top_logprobs").get(0).get("token").stringValue()).isEqualTo("T");

        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":1,"logprobs":true}""");
        assertThat(lastRequest().topLogprobs()).isZero();
    }

    @Test
    void responseFormatTextAndToolChoiceNoneAreAccepted() {
        postOk("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":1,
                 "response_format":{"type":"text"},"tool_choice":"none","store":false,"tools":null}""");
    }

    @Test
    void streamingSendsRoleChunkDeltasFinishUsageAndDone() {
        List<JsonNode> chunks = streamChunks("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"temperature":0,
                 "stream":true,"stream_options":{"include_usage":true},"kv_cache":{"method":"fp16"}}""");
        JsonNode role = chunks.getFirst();
        assertThat(role.get("object").stringValue()).isEqualTo("chat.completion.chunk");
        assertThat(role.get("choices").get(0).get("delta").get("role").stringValue()).isEqualTo("assistant");
        String id = role.get("id").stringValue();
        StringBuilder text = new StringBuilder();
        int finishAt = -1;
        for (int i = 1; i < chunks.size() - 1; i++) {
            JsonNode c = chunks.get(i);
            assertThat(c.get("id").stringValue()).isEqualTo(id);
            JsonNode choice = c.get("choices").get(0);
            assertThat(choice.get("index").intValue()).isZero();
            JsonNode delta = choice.get("delta");
            if (delta.has("content")) {
                text.append(delta.get("content").stringValue());
            }
            if (!choice.get("finish_reason").isNull()) {
                finishAt = i;
                assertThat(delta.size()).isZero();
                assertThat(c.get("usage").get("kv_cache").get("method").stringValue()).isEqualTo("fp16");
                assertThat(c.get("usage").get("kv_cache").get("compression_ratio").doubleValue()).isEqualTo(1.0);
            }
        }
        assertThat(text.toString()).isEqualTo("The q");
        assertThat(finishAt).isEqualTo(chunks.size() - 2);
        JsonNode usage = chunks.getLast();
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("completion_tokens").intValue()).isEqualTo(5);
        assertThat(usage.get("usage").get("total_tokens").intValue())
                .isEqualTo(5 + usage.get("usage").get("prompt_tokens").intValue());
    }

    @Test
    void streamingLogprobs() {
        List<JsonNode> chunks = streamChunks("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"Hi"}],"max_tokens":1,"temperature":0,
                 "stream":true,"logprobs":true,"top_logprobs":2}""");
        JsonNode token = chunks.get(1).get("choices").get(0);
        assertThat(token.get("delta").get("content").stringValue()).isEqualTo("T");
        assertThat(token.get("logprobs").get("content").get(0).get("top_logprobs")).hasSize(2);
    }
}
