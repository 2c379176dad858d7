package dev.veloxquant.server;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.veloxquant.server.kv.LiveKVCacheRegistry;
import dev.veloxquant.server.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server on the real engine and the embedded model (models/velox-tiny), configured as a user
 * would: nothing but the model directory.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "veloxquant.model-dir=../models/velox-tiny",
        "veloxquant.limits.generation-threads=2",
})
@AutoConfigureWebTestClient
class RealModelEndToEndTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    WebTestClient client;
    @Autowired
    ModelRegistry registry;
    @Autowired
    LiveKVCacheRegistry liveCaches;
    @LocalServerPort
    int port;

    @BeforeEach
    void loaded() throws Exception {
        assertThat(Path.of("../models/velox-tiny/config.json")).exists();
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.find("velox-tiny")).as("velox-tiny loaded: %s", registry.failure("velox-tiny")).isPresent();
        client = client.mutate().responseTimeout(Duration.ofSeconds(60)).build();
    }

    private JsonNode post(String path, String body) {
        return JSON.readTree(client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    }

    @Test
    void readinessIsUpAndTheModelIsListed() {
        client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        JsonNode models = JSON.readTree(client.get().uri("/v1/models").exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());
        assertThat(models.get("data").get(0).get("id").stringValue()).isEqualTo("velox-tiny");
        assertThat(models.get("data").get(0).get("max_model_len").intValue()).isEqualTo(2048);
    }

    @Test
    void greedyCompletionIsRepeatableAndCountsTheTokenizersTokens() {
        String body = """
                {"model":"velox-tiny","prompt":"Once upon a time","max_tokens":12,"temperature":0}""";
        JsonNode a = post("/v1/completions", body);
        JsonNode b = post("/v1/completions", body);
        assertThat(a.get("choices").get(0).get("text").stringValue()).isNotEmpty()
                .isEqualTo(b.get("choices").get(0).get("text").stringValue());
        JsonNode tokens = post("/v1/tokenize", """
                {"model":"velox-tiny","prompt":"Once upon a time"}""");
        assertThat(a.get("usage").get("prompt_tokens").intValue()).isEqualTo(tokens.get("count").intValue());
        // the last generated token is never fed back, so it never reaches the cache
        assertThat(a.get("usage").get("kv_cache").get("tokens").longValue())
                .isEqualTo(a.get("usage").get("total_tokens").longValue() - 1);
    }

    @Test
    void switchingKvCacheMethodsShowsInUsage() {
        // Long enough that every method's fp16 window (32 tokens) is a small part of the cache.
        String prompt = "The little robot walked into the kitchen and looked at the table. ".repeat(6);
        double fp16Ratio = 0;
        for (String method : List.of("fp16", "int8", "int4", "commvq", "turboquant")) {
            JsonNode kv = post("/v1/completions", "{\"model\":\"velox-tiny\",\"prompt\":\"" + prompt
                    + "\",\"max_tokens\":4,\"temperature\":0,\"kv_cache\":{\"method\":\"" + method + "\"}}")
                    .get("usage").get("kv_cache");
            assertThat(kv.get("method").stringValue()).isEqualTo(method);
            assertThat(kv.get("fp16_bytes").longValue()).isPositive();
            if (method.equals("fp16")) {
                fp16Ratio = kv.get("compression_ratio").doubleValue();
                assertThat(kv.get("bytes").longValue()).isEqualTo(kv.get("fp16_bytes").longValue());
            } else {
                assertThat(kv.get("bytes").longValue()).as(method).isLessThan(kv.get("fp16_bytes").longValue());
                assertThat(kv.get("compression_ratio").doubleValue()).as(method).isGreaterThan(1.0);
                assertThat(kv.get("saved_bytes").longValue()).as(method).isPositive();
            }
        }
        assertThat(fp16Ratio).isEqualTo(1.0);
    }

    @Test
    void streamingChatWithLangChain4j() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl("http://localhost:" + port + "/v1")
                .apiKey("unused").modelName("velox-tiny").temperature(0.0).maxTokens(8).timeout(Duration.ofSeconds(60))
                .build();
        StringBuilder partials = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("Tell me a short story.", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.append(partial);
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
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertThat(r.aiMessage().text()).isNotBlank().isEqualTo(partials.toString());
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(1, 8);

        OpenAiChatModel blocking = OpenAiChatModel.builder().baseUrl("http://localhost:" + port + "/v1")
                .apiKey("unused").modelName("velox-tiny").temperature(0.0).maxTokens(8).timeout(Duration.ofSeconds(60))
                .build();
        assertThat(blocking.chat("Tell me a short story.")).isEqualTo(r.aiMessage().text());
    }

    @Test
    void disconnectMidStreamReleasesTheCache() throws Exception {
        List<String> got = WebClient.create("http://localhost:" + port).post().uri("/v1/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"velox-tiny\",\"prompt\":\"Once\",\"max_tokens\":1500,\"ignore_eos\":true,"
                        + "\"stream\":true,\"kv_cache\":{\"method\":\"commvq\"}}")
                .retrieve().bodyToFlux(String.class).take(5).collectList().block(Duration.ofSeconds(60));
        assertThat(got).hasSize(5);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (liveCaches.liveSequences() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(liveCaches.liveSequences()).isZero();
        assertThat(liveCaches.liveBytes()).isZero();
    }
}
