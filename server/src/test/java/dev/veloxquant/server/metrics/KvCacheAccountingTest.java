package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.server.model.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte gauges agree with cache-core's own accounting: while a known request generates, the
 * gauges for its model and method equal the {@link CacheFootprint} of a {@link SequenceKVCache} built
 * by cache-core for the same method and filled with as many tokens; the response's usage.kv_cache
 * agrees the same way; and once the request is over the gauges are back to 0.
 */
@EmbeddedModelServerTest
class KvCacheAccountingTest {
    static final List<String> METHODS = PrometheusScrapeTest.METHODS;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;
    @Autowired
    ModelRegistry models;
    @Autowired
    MeterRegistry registry;
    @Autowired
    KvGaugeProbe probe;

    @BeforeEach
    void modelsLoaded() throws InterruptedException {
        assertThat(models.awaitLoaded(Duration.ofMinutes(2))).isTrue();
        String id = models.defaultModelId();
        assertThat(models.state(id)).as("embedded model %s (../models/velox-tiny): %s", id, models.failure(id).orElse(""))
                .isEqualTo(ModelRegistry.State.READY);
    }

    @ParameterizedTest
    @FieldSource("METHODS")
    void gaugesMatchCacheCoreAccounting(String method) throws Exception {
        String model = models.defaultModelId();
        ModelGeometry geometry = models.find(model).orElseThrow().model().geometry();
        long fp16PerToken = 4L * geometry.numLayers() * geometry.kvDim();
        probe.watch(method);

        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "prompt": "The old lighthouse keeper climbed the spiral stairs every evening, counting the steps as his father had taught him. At the top he trimmed the wick and polished the great lens.",
                         "max_tokens": 6, "temperature": 0, "kv_cache": {"method": "%s"}}
                        """.formatted(model, method)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode usage = JSON.readTree(response.body()).path("usage");
        int promptTokens = usage.path("prompt_tokens").asInt();
        int completionTokens = usage.path("completion_tokens").asInt();

        KvGaugeProbe.Reading seen = probe.largest();
        assertThat(seen).as("gauges read while generating").isNotNull();
        assertThat(seen.sequences()).isEqualTo(1.0);
        long gaugeTokens = (long) seen.fp16Bytes() / fp16PerToken;
        assertThat(gaugeTokens * fp16PerToken).as("fp16 gauge is whole tokens").isEqualTo((long) seen.fp16Bytes());
        assertThat(gaugeTokens).isBetween((long) promptTokens, (long) promptTokens + completionTokens);
        CacheFootprint expected = cacheCoreFootprint(geometry, method, promptTokens, gaugeTokens);
        assertThat((long) seen.bytes()).as("%s bytes gauge vs cache-core for %d tokens", method, gaugeTokens).isEqualTo(expected.bytes());
        assertThat((long) seen.fp16Bytes()).isEqualTo(expected.fp16Bytes());

        // usage.kv_cache reports the cache at its largest, with the same accounting.
        JsonNode kv = usage.path("kv_cache");
        long usageTokens = kv.path("fp16_bytes").asLong() / fp16PerToken;
        CacheFootprint atLargest = cacheCoreFootprint(geometry, method, promptTokens, usageTokens);
        assertThat(kv.path("bytes").asLong()).isEqualTo(atLargest.bytes());
        assertThat(kv.path("fp16_bytes").asLong()).isEqualTo(atLargest.fp16Bytes());
        assertThat(kv.path("tokens").asLong()).isEqualTo(usageTokens);
        assertThat(usageTokens).isBetween(gaugeTokens, gaugeTokens + 1);
        System.out.printf("KvCacheAccountingTest: %s, %d tokens held: %d bytes vs %d fp16 (gauges and cache-core agree)%n",
                method, gaugeTokens, (long) seen.bytes(), (long) seen.fp16Bytes());

        // The request is over: nothing of this method is live any more.
        assertThat(KvGaugeProbe.gauge(registry, "veloxquant.kv.cache", model, method)).isZero();
        assertThat(KvGaugeProbe.gauge(registry, "veloxquant.kv.cache.fp16", model, method)).isZero();
        assertThat(KvGaugeProbe.gauge(registry, "veloxquant.kv.cache.sequences", model, method)).isZero();
        assertThat(registry.find("veloxquant.kv.cache.usage.perc").tag("model", model).gauge().value()).isZero();
        // application.yml's budget-bytes: 1GB binds as 1 GiB.
        assertThat(registry.find("veloxquant.kv.cache.budget").tag("model", model).gauge().value()).isEqualTo(1024.0 * 1024 * 1024);
    }

    /** What cache-core itself accounts for {@code tokens} tokens: the prompt appended at once, then one by one. */
    private static CacheFootprint cacheCoreFootprint(ModelGeometry geometry, String method, int promptTokens, long tokens) {
        KVCacheConfig config = KVCacheConfig.of(KVCacheMethod.parse(method));
        Random random = new Random(42);
        int kvDim = geometry.kvDim();
        try (SequenceKVCache cache = KVCacheBuilder.build(geometry, config)) {
            for (int layer = 0; layer < geometry.numLayers(); layer++) {
                int first = (int) Math.min(promptTokens, tokens);
                cache.layer(layer).append(randomFloats(random, first * kvDim), 0, randomFloats(random, first * kvDim), 0, first);
                for (long t = first; t < tokens; t++) {
                    cache.layer(layer).append(randomFloats(random, kvDim), 0, randomFloats(random, kvDim), 0, 1);
                }
            }
            return cache.footprint();
        }
    }

    private static float[] randomFloats(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
