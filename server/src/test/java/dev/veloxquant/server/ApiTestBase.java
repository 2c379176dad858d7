package dev.veloxquant.server;

import dev.veloxquant.server.fake.FakeLanguageModel;
import dev.veloxquant.server.fake.FakeModelConfig;
import dev.veloxquant.server.kv.LiveKVCacheRegistry;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.generation.GenerationScheduler;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared context of the API tests: two fake models ({@code fake-a} with global KV defaults,
 * {@code fake-b} with its own), two generation workers and a queue of two, a 64 KiB body limit.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "veloxquant.models[0].id=fake-a",
        "veloxquant.models[0].path=unused-a",
        "veloxquant.models[1].id=fake-b",
        "veloxquant.models[1].path=unused-b",
        "veloxquant.models[1].kv-cache.group-size=64",
        "veloxquant.models[1].kv-cache.window-size=16",
        "veloxquant.kv-cache.method=fp16",
        "veloxquant.limits.generation-threads=2",
        "veloxquant.limits.max-queue=2",
        "veloxquant.limits.max-request-size=64KB",
        "veloxquant.limits.request-timeout=30s",
        "veloxquant.api-keys=",
        "veloxquant.port-file=target/api-test-server.port",
})
@AutoConfigureWebTestClient
@Import(FakeModelConfig.class)
public abstract class ApiTestBase {
    protected static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    protected WebTestClient client;
    @Autowired
    protected FakeModelConfig.FakeModels fakes;
    @Autowired
    protected ModelRegistry registry;
    @Autowired
    protected LiveKVCacheRegistry liveCaches;
    @Autowired
    protected GenerationScheduler scheduler;
    @LocalServerPort
    protected int port;

    @BeforeEach
    void modelsLoadedAndIdle() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(10))).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((scheduler.running() > 0 || scheduler.waiting() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        client = client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    protected FakeLanguageModel fakeA() {
        return fakes.get("fake-a");
    }

    protected WebTestClient.ResponseSpec post(String path, String body) {
        return client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    protected JsonNode postOk(String path, String body) {
        byte[] bytes = post(path, body).expectStatus().isOk().expectBody().returnResult().getResponseBody();
        return JSON.readTree(bytes);
    }

    /** Posts and expects an OpenAI-shaped error with this status and param; returns the error object. */
    protected JsonNode postError(String path, String body, int status, String param) {
        byte[] bytes = post(path, body).expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody().returnResult().getResponseBody();
        return assertOpenAiError(bytes, param);
    }

    protected static JsonNode assertOpenAiError(byte[] bytes, String param) {
        JsonNode root = JSON.readTree(bytes);
        assertThat(root.propertyNames()).containsExactly("error");
        JsonNode err = root.get("error");
        assertThat(err.propertyNames()).containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(err.get("message").stringValue()).isNotBlank();
        assertThat(err.get("type").stringValue()).isNotBlank();
        if (param == null) {
            assertThat(err.get("param").isNull()).as("param of %s", root).isTrue();
        } else {
            assertThat(err.get("param").stringValue()).as("param of %s", root).isEqualTo(param);
        }
        return err;
    }

    /** Splits a text/event-stream body into its data payloads, checking the wire format of each event. */
    protected static List<String> sseData(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.isBlank()) {
                continue;
            }
            assertThat(event).startsWith("data: ");
            out.add(event.substring("data: ".length()));
        }
        assertThat(body).endsWith("\n\n");
        return out;
    }

    /** The stream's JSON chunks (everything before the final [DONE], which must be there). */
    protected List<JsonNode> streamChunks(String path, String body) {
        String text = post(path, body).expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .expectBody(String.class).returnResult().getResponseBody();
        List<String> data = sseData(text);
        assertThat(data).isNotEmpty();
        assertThat(data.getLast()).isEqualTo("[DONE]");
        List<JsonNode> chunks = new ArrayList<>();
        for (String d : data.subList(0, data.size() - 1)) {
            chunks.add(JSON.readTree(d));
        }
        return chunks;
    }
}
