package dev.veloxquant.server;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** LangChain4j's OpenAI client, unchanged, against the running server. */
class LangChain4jClientTest extends ApiTestBase {

    private String baseUrl() {
        return "http://localhost:" + port + "/v1";
    }

    @Test
    void chat() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("fake-a")
                .temperature(0.0).maxTokens(9).timeout(Duration.ofSeconds(20)).maxRetries(0).build();
        ChatResponse r = model.chat(ChatRequest.builder()
                .messages(SystemMessage.from("Be brief."), UserMessage.from("Hello"))
                .build());
        assertThat(r.aiMessage().text()).isEqualTo("The quick");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(9);
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(fakeA().requests.getLast().promptTokens().length);
        assertThat(r.modelName()).isEqualTo("fake-a");
    }

    @Test
    void streamingChat() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName("fake-a").temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(20)).build();
        List<String> partials = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("Hello", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(20, TimeUnit.SECONDS);
        assertThat(partials.size()).isGreaterThan(1);
        assertThat(String.join("", partials)).isEqualTo("The quick br");
        assertThat(r.aiMessage().text()).isEqualTo("The quick br");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(12);
    }

    @Test
    void completions() {
        OpenAiLanguageModel model = OpenAiLanguageModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName("fake-a").temperature(0.0).timeout(Duration.ofSeconds(20)).maxRetries(0).build();
        Response<String> r = model.generate("Once upon a time");
        assertThat(r.content()).isEqualTo(FakeText.first(16));
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(16);
    }

    @Test
    void streamingCompletions() throws Exception {
        OpenAiStreamingLanguageModel model = OpenAiStreamingLanguageModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName("fake-a").temperature(0.0).timeout(Duration.ofSeconds(20)).build();
        StringBuilder text = new StringBuilder();
        CompletableFuture<Response<String>> done = new CompletableFuture<>();
        model.generate("Once upon a time", new StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {
                text.append(token);
            }

            @Override
            public void onComplete(Response<String> response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        Response<String> r = done.get(20, TimeUnit.SECONDS);
        assertThat(text.toString()).isEqualTo(FakeText.first(16));
        assertThat(r.content()).isEqualTo(FakeText.first(16));
    }

    private static final class FakeText {
        static String first(int n) {
            return dev.veloxquant.server.fake.FakeLanguageModel.SCRIPT.substring(0, n);
        }
    }
}
