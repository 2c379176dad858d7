package dev.veloxquant.server;

import dev.veloxquant.server.fake.FakeModelConfig;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.veloxquant.server.model.ModelRegistry;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** API keys (two of them, as VELOXQUANT_API_KEYS would give), a short request timeout, a 2 KiB KV-cache budget. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "veloxquant.models[0].id=fake-a",
        "veloxquant.models[0].path=unused",
        "veloxquant.api-keys=sk-first-key, sk-second-key",
        "veloxquant.limits.request-timeout=700ms",
        "veloxquant.kv-cache.budget-bytes=2KB",
})
@AutoConfigureWebTestClient
@Import(FakeModelConfig.class)
@ExtendWith(OutputCaptureExtension.class)
class SecuredServerTest {
    private static final String BODY = "{\"model\":\"fake-a\",\"prompt\":\"x\",\"max_tokens\":2}";

    @Autowired
    WebTestClient client;
    @Autowired
    ModelRegistry registry;
    @Autowired
    dev.veloxquant.server.kv.LiveKVCacheRegistry liveCaches;
    @LocalServerPort
    int port;

    private WebTestClient.ResponseSpec post(String auth, String body) {
        var spec = client.post().uri("/v1/completions").contentType(MediaType.APPLICATION_JSON);
        if (auth != null) {
            spec = spec.header("Authorization", auth);
        }
        return spec.bodyValue(body).exchange();
    }

    @Test
    void missingOrWrongKeyIs401InOpenAiShape(CapturedOutput output) throws Exception {
        registry.awaitLoaded(Duration.ofSeconds(10));
        for (String auth : new String[]{null, "Bearer sk-wrong", "Basic c2stZmlyc3Qta2V5", "Bearer ", "Bearer sk-first-ke"}) {
            byte[] body = post(auth, BODY).expectStatus().isUnauthorized()
                    .expectHeader().valueEquals("WWW-Authenticate", "Bearer")
                    .expectBody().returnResult().getResponseBody();
            JsonNode err = ApiTestBase.assertOpenAiError(body, null);
            assertThat(err.get("code").stringValue()).isEqualTo("invalid_api_key");
        }
        client.get().uri("/v1/models").exchange().expectStatus().isUnauthorized();
        assertThat(output.getAll()).doesNotContain("sk-wrong").doesNotContain("sk-first-key").doesNotContain("sk-second-key");
    }

    @Test
    void anyConfiguredKeyIsAccepted() throws Exception {
        registry.awaitLoaded(Duration.ofSeconds(10));
        post("Bearer sk-first-key", BODY).expectStatus().isOk();
        post("bearer sk-second-key", BODY).expectStatus().isOk();
        client.get().uri("/v1/models").header("Authorization", "Bearer sk-second-key").exchange().expectStatus().isOk();
    }

    @Test
    void newRequestsWaitWhileTheKvCacheBudgetIsInUse() throws Exception {
        registry.awaitLoaded(Duration.ofSeconds(10));
        var slow = org.springframework.web.reactive.function.client.WebClient.create("http://localhost:" + port)
                .post().uri("/v1/completions").header("Authorization", "Bearer sk-first-key")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":12}")
                .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())).toFuture();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (liveCaches.liveBytes() < 2048 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        byte[] body = post("Bearer sk-first-key", BODY).expectStatus().isEqualTo(429)
                .expectHeader().exists("Retry-After").expectBody().returnResult().getResponseBody();
        assertThat(ApiTestBase.assertOpenAiError(body, null).get("code").stringValue()).isEqualTo("kv_cache_budget_exceeded");
        assertThat(slow.get()).isEqualTo(200);
        post("Bearer sk-first-key", BODY).expectStatus().isOk();
    }

    @Test
    void probesNeedNoKey() {
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    }

    @Test
    void unauthorizedWithUnreadBodyClosesTheConnection() throws Exception {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY).getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) > 0) {
                buf.write(b, 0, n);
            }
            String response = buf.toString(StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 401");
            assertThat(response.toLowerCase()).contains("connection: close");
        }
    }

    @Test
    void requestOverTheTimeoutIs504() throws Exception {
        registry.awaitLoaded(Duration.ofSeconds(10));
        long t0 = System.nanoTime();
        byte[] body = post("Bearer sk-first-key", "{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":200}")
                .expectStatus().isEqualTo(504).expectBody().returnResult().getResponseBody();
        assertThat(ApiTestBase.assertOpenAiError(body, null).get("code").stringValue()).isEqualTo("request_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void streamTimingOutAfterOutputStartedEndsWithAnErrorEvent() throws Exception {
        registry.awaitLoaded(Duration.ofSeconds(10));
        String text = post("Bearer sk-first-key",
                "{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":200,\"stream\":true}")
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        var data = ApiTestBase.sseData(text);
        assertThat(data.size()).isGreaterThan(2);
        assertThat(data.getLast()).contains("\"request_timeout\"");
        assertThat(data).doesNotContain("[DONE]");
    }
}
