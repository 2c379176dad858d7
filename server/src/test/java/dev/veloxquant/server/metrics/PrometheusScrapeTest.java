package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The metrics as a user sees them: Debian's Prometheus scrapes this server every second while a
 * workload over several kv_cache methods runs; then every PromQL expression of the Grafana dashboard
 * and of the alert rules is evaluated through Prometheus's HTTP API and must return data, every rule
 * must evaluate cleanly, and promtool must accept the configuration and the rules (and pass the rule
 * unit tests). Skipped only when the prometheus / promtool binaries are absent.
 */
@EmbeddedModelServerTest
class PrometheusScrapeTest {
    /** The kv_cache methods the workload exercises: all of cache-core's. */
    static final List<String> METHODS = Arrays.stream(KVCacheMethod.values()).map(KVCacheMethod::id).toList();
    private static final Path CONFIG = Path.of("..", "config");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROMPT = "The old lighthouse keeper climbed the spiral stairs every evening, counting the "
            + "steps as his father had taught him. At the top he trimmed the wick and polished the great lens.";

    @LocalServerPort
    int port;
    @Autowired
    ModelRegistry models;
    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void dashboardAndAlertQueriesReturnDataFromALiveServer() throws Exception {
        assumeTrue(PrometheusServer.onPath("prometheus") && PrometheusServer.onPath("promtool"),
                "prometheus / promtool not found on PATH: install Debian's 'prometheus' package (./run-tests.sh does)");
        assertThat(models.awaitLoaded(Duration.ofMinutes(2))).as("models loaded").isTrue();
        String model = models.defaultModelId();
        assertThat(models.state(model)).as("embedded model %s (../models/velox-tiny): %s", model, models.failure(model).orElse(""))
                .isEqualTo(ModelRegistry.State.READY);

        // promtool accepts the shipped files and the generated test config; the alert unit tests pass.
        Path config = work.resolve("prometheus.yml");
        Files.writeString(config, PrometheusServer.config("127.0.0.1:" + port, CONFIG.resolve("alert-rules.yml")));
        for (String[] args : List.of(
                new String[] {"check", "config", config.toString()},
                new String[] {"check", "config", CONFIG.resolve("prometheus.yml").toString()},
                new String[] {"check", "rules", CONFIG.resolve("alert-rules.yml").toString()},
                new String[] {"test", "rules", CONFIG.resolve("alert-rules.test.yml").toString()})) {
            PrometheusServer.ToolResult r = PrometheusServer.promtool(args);
            assertThat(r.exitCode()).as("promtool %s:\n%s", String.join(" ", args), r.output()).isZero();
        }

        try (PrometheusServer prometheus = PrometheusServer.start(work, config)) {
            awaitValue(prometheus, "sum(up{job=\"veloxquant\"})", 1.0, Duration.ofSeconds(15));

            runWorkload(model);
            // Two more scrapes after the last request, so rates and "back to 0" are visible.
            Thread.sleep(2500);

            for (String method : METHODS) {
                double count = prometheus.value("sum(veloxquant_request_kv_compression_ratio_count{method=\"" + method + "\"})");
                assertThat(count).as("finished %s requests seen by Prometheus", method).isGreaterThanOrEqualTo(1);
                double ratio = prometheus.value("sum(veloxquant_request_kv_compression_ratio_sum{method=\"" + method
                        + "\"}) / sum(veloxquant_request_kv_compression_ratio_count{method=\"" + method + "\"})");
                if (method.equals("fp16")) {
                    assertThat(ratio).as("fp16 ratio").isEqualTo(1.0);
                } else {
                    assertThat(ratio).as("%s mean compression ratio", method).isGreaterThan(1.0);
                }
            }
            assertThat(prometheus.value("max(max_over_time(veloxquant_kv_cache_bytes[2m]))"))
                    .as("live KV bytes seen while requests ran").isGreaterThan(0);
            assertThat(prometheus.value("max(max_over_time(veloxquant_kv_cache_fp16_bytes[2m]))"))
                    .as("live fp16-equivalent bytes seen while requests ran").isGreaterThan(0);
            assertThat(prometheus.value("sum(veloxquant_kv_cache_bytes)")).as("live KV bytes after the workload").isZero();
            assertThat(prometheus.value("sum(veloxquant_request_failure_total{error_type=\"invalid_kv_cache\"})")).isGreaterThanOrEqualTo(1);
            assertThat(prometheus.value("sum(veloxquant_request_failure_total{error_type=\"model_not_found\"})")).isGreaterThanOrEqualTo(1);
            assertThat(prometheus.value("sum(veloxquant_generation_tokens_total)")).isGreaterThan(0);

            List<PromQueries.Query> queries = new ArrayList<>(PromQueries.dashboard(CONFIG.resolve("grafana/dashboards/veloxquant.json")));
            queries.addAll(PromQueries.alertRules(CONFIG.resolve("alert-rules.yml")));
            List<String> empty = new ArrayList<>();
            for (PromQueries.Query q : queries) {
                if (prometheus.query(q.promql()).isEmpty()) {
                    empty.add(q.source() + ": " + q.promql());
                }
            }
            System.out.printf("PrometheusScrapeTest: %d of %d dashboard and alert queries returned data%n",
                    queries.size() - empty.size(), queries.size());
            assertThat(empty).as("queries that returned no data").isEmpty();

            List<String> unhealthy = new ArrayList<>();
            int rules = 0;
            for (JsonNode group : prometheus.rules()) {
                for (JsonNode rule : group.path("rules")) {
                    rules++;
                    if (!"ok".equals(rule.path("health").asString())) {
                        unhealthy.add(rule.path("name").asString() + ": " + rule.path("health").asString() + " " + rule.path("lastError").asString());
                    }
                }
            }
            assertThat(rules).as("rules loaded by Prometheus").isEqualTo(PromQueries.alertRuleCount(CONFIG.resolve("alert-rules.yml")));
            assertThat(unhealthy).as("rules Prometheus could not evaluate").isEmpty();
            assertThat(prometheus.logText()).doesNotContain("level=error");
        }
    }

    /** Several clients send completions over every method, a streamed chat, a cancelled stream and bad requests. */
    private void runWorkload(String model) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        try (ExecutorService clients = Executors.newFixedThreadPool(3)) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                int offset = c;
                done.add(clients.submit(() -> {
                    int n = 0;
                    do {
                        for (int i = 0; i < METHODS.size(); i++) {
                            String method = METHODS.get((i + offset) % METHODS.size());
                            JsonNode r = post("/v1/completions", """
                                    {"model": "%s", "prompt": "%s", "max_tokens": 24, "temperature": 0, "kv_cache": {"method": "%s"}}
                                    """.formatted(model, PROMPT, method), 200);
                            assertThat(r.path("usage").path("kv_cache").path("method").asString()).isEqualTo(method);
                            n++;
                        }
                    } while (System.nanoTime() < until);
                    return n;
                }));
            }
            post("/v1/chat/completions", """
                    {"model": "%s", "messages": [{"role": "user", "content": "Tell me a story."}], "max_tokens": 16,
                     "stream": true, "stream_options": {"include_usage": true}, "kv_cache": {"method": "%s"}}
                    """.formatted(model, METHODS.getLast()), 200);
            cancelledStream(model);
            post("/v1/completions", "{\"model\": \"" + model + "\", \"prompt\": \"Hi\", \"kv_cache\": {\"method\": \"zip9\"}}", 400);
            post("/v1/completions", "{\"model\": \"no-such-model\", \"prompt\": \"Hi\"}", 404);
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            System.out.printf("PrometheusScrapeTest: workload sent %d completions over %s%n", total, METHODS);
        }
    }

    /** A client that reads the first event of a long stream and hangs up. */
    private void cancelledStream(String model) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model": "%s", "prompt": "%s", "max_tokens": 1500, "stream": true, "kv_cache": {"method": "%s"}}
                        """.formatted(model, PROMPT, METHODS.get(1 % METHODS.size()))))
                .build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).startsWith("data:");
        }
    }

    private JsonNode post(String path, String body, int expectedStatus) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s -> %s", path, body, r.body()).isEqualTo(expectedStatus);
        return r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
                ? JSON.readTree(r.body()) : JSON.missingNode();
    }

    private static void awaitValue(PrometheusServer p, String promql, double expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        double v;
        while ((v = p.value(promql)) != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(promql + " stayed " + v + " (expected " + expected + "); Prometheus log:\n" + p.logText());
            }
            Thread.sleep(200);
        }
    }
}
