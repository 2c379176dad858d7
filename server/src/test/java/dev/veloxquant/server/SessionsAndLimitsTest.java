package dev.veloxquant.server;

import dev.veloxquant.engine.api.FinishReason;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-request sessions, their release on disconnect, and the concurrency limit. */
class SessionsAndLimitsTest extends ApiTestBase {

    private WebClient webClient() {
        return WebClient.builder().baseUrl("http://localhost:" + port).build();
    }

    private static void await(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", timeout).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void clientDisconnectMidStreamStopsGenerationAndReleasesTheCache() throws Exception {
        int before = fakeA().finished.size();
        AtomicLong bytesWhileStreaming = new AtomicLong();
        // 400 tokens at 20 ms would take 8 s; the client leaves after three chunks.
        List<String> received = webClient().post().uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model":"fake-a","messages":[{"role":"user","content":"[slow]"}],"max_tokens":400,
                         "temperature":0,"stream":true}""")
                .retrieve().bodyToFlux(String.class)
                .doOnNext(x -> bytesWhileStreaming.set(Math.max(bytesWhileStreaming.get(), liveCaches.liveBytes())))
                .take(3)
                .collectList().block(Duration.ofSeconds(10));
        assertThat(received).hasSize(3);
        assertThat(bytesWhileStreaming.get()).as("live KV bytes while streaming").isPositive();
        long disconnectedAt = System.nanoTime();
        await(Duration.ofSeconds(3), () -> liveCaches.liveBytes() == 0 && liveCaches.liveSequences() == 0);
        await(Duration.ofSeconds(3), () -> fakeA().finished.size() > before);
        assertThat(fakeA().finished.getLast()).isEqualTo(FinishReason.CANCELLED);
        assertThat(Duration.ofNanos(System.nanoTime() - disconnectedAt)).isLessThan(Duration.ofSeconds(3));
        await(Duration.ofSeconds(3), () -> scheduler.running() == 0);
    }

    @Test
    void clientGivingUpOnANonStreamingRequestAlsoStopsGeneration() throws Exception {
        int before = fakeA().finished.size();
        String body = "{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":400}";
        try (Socket socket = new Socket("localhost", port)) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            await(Duration.ofSeconds(3), () -> liveCaches.liveSequences() == 1);
        }
        await(Duration.ofSeconds(3), () -> fakeA().finished.size() > before);
        assertThat(fakeA().finished.getLast()).isEqualTo(FinishReason.CANCELLED);
        await(Duration.ofSeconds(3), () -> liveCaches.liveBytes() == 0);
    }

    @Test
    void liveCacheIsTrackedByModelAndMethodDuringGeneration() throws Exception {
        Mono<String> slow = webClient().post().uri("/v1/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"model":"fake-b","prompt":"[slow]","max_tokens":25,"temperature":0}""")
                .retrieve().bodyToMono(String.class);
        var pending = slow.toFuture();
        await(Duration.ofSeconds(5), () -> liveCaches.liveSequences() == 1);
        var totals = liveCaches.totals("fake-b", dev.veloxquant.cache.KVCacheMethod.FP16);
        assertThat(totals.sequences()).isEqualTo(1);
        assertThat(totals.fp16Bytes()).isPositive();
        assertThat(totals.bytes()).isEqualTo(totals.fp16Bytes());
        assertThat(pending.get()).contains("\"finish_reason\":\"length\"");
        await(Duration.ofSeconds(3), () -> liveCaches.liveBytes() == 0);
    }

    @Test
    void beyondWorkersAndQueueIs429WithRetryAfter() throws Exception {
        // 2 workers + 2 queue slots; 8 slow requests at once: at least 4 must be refused.
        WebClient wc = webClient();
        List<Integer> statuses = Flux.range(0, 8)
                .flatMap(i -> wc.post().uri("/v1/completions").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":10}")
                        .exchangeToMono(r -> {
                            if (r.statusCode().value() == 429) {
                                assertThat(r.headers().header("Retry-After")).containsExactly("1");
                                return r.bodyToMono(byte[].class).map(b -> {
                                    assertThat(assertOpenAiError(b, null).get("code").stringValue())
                                            .isEqualTo("rate_limit_exceeded");
                                    return 429;
                                });
                            }
                            return r.releaseBody().thenReturn(r.statusCode().value());
                        }), 8)
                .collectList().block(Duration.ofSeconds(30));
        assertThat(statuses).hasSize(8);
        assertThat(statuses.stream().filter(s -> s == 200).count()).isGreaterThanOrEqualTo(4).isLessThan(8);
        assertThat(statuses).allMatch(s -> s == 200 || s == 429);
    }

    @Test
    void aStreamRefusedBeforeItStartsGetsAPlainJsonError() throws Exception {
        WebClient wc = webClient();
        // Occupy both workers and both queue slots.
        var busy = Flux.range(0, 4)
                .flatMap(i -> wc.post().uri("/v1/completions").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":15}")
                        .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())), 4)
                .collectList().toFuture();
        await(Duration.ofSeconds(5), () -> scheduler.running() + scheduler.waiting() == 4);
        byte[] body = post("/v1/chat/completions", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}],"stream":true}""")
                .expectStatus().isEqualTo(429)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectHeader().exists("Retry-After")
                .expectBody().returnResult().getResponseBody();
        assertOpenAiError(body, null);
        assertThat(busy.get()).containsOnly(200);
    }

    @Test
    void waitingRequestsAreServedInTurn() throws Exception {
        // 2 workers + 2 queued: all four succeed.
        WebClient wc = webClient();
        List<Integer> statuses = Flux.range(0, 4)
                .flatMap(i -> wc.post().uri("/v1/completions").contentType(MediaType.APPLICATION_JSON)
                        .bodyValue("{\"model\":\"fake-a\",\"prompt\":\"[slow]\",\"max_tokens\":5}")
                        .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())), 4)
                .collectList().onErrorResume(WebClientResponseException.class, e -> Mono.just(List.of(e.getStatusCode().value())))
                .block(Duration.ofSeconds(30));
        assertThat(statuses).containsOnly(200).hasSize(4);
    }
}
