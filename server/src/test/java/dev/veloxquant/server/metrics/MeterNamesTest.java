package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.engine.api.FinishReason;
import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.generation.GenerationOutcome;
import dev.veloxquant.server.generation.GenerationScheduler;
import dev.veloxquant.server.generation.RequestListener;
import dev.veloxquant.server.generation.RequestListeners;
import dev.veloxquant.server.kv.LiveKVCacheRegistry;
import dev.veloxquant.server.model.ModelRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus names the binders expose, checked on a real PrometheusMeterRegistry: vLLM-style names,
 * units as suffixes, bounded labels, and every metric the dashboard and the alert rules query.
 */
class MeterNamesTest {
    private static final Path CONFIG = Path.of("..", "config");
    private static final Pattern METRIC = Pattern.compile("\\bveloxquant_[a-z0-9_]+");

    private PrometheusMeterRegistry registry;
    private List<RequestListener> listeners;
    private GenerationScheduler scheduler;

    @BeforeEach
    void bind() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        VeloxQuantProperties props = new VeloxQuantProperties(null, null, null, null, null, null);
        ModelRegistry models = new ModelRegistry(props, (spec, progress) -> {
            throw new IllegalStateException("not loaded in this test");
        });
        LiveKVCacheRegistry live = new LiveKVCacheRegistry();
        scheduler = new GenerationScheduler(props, live, new RequestListeners(new StaticListableBeanFactory().getBeanProvider(RequestListener.class)),
                org.springframework.util.unit.DataSize.ofGigabytes(1));
        var latency = new RequestLatencyMetrics(models);
        var outcome = new RequestOutcomeMetrics(models);
        var compression = new KvCompressionMetrics(models);
        new KvCacheMemoryMetrics(models, live, new KvCacheBudgetProperties(null)).bindTo(registry);
        new KvCacheConfigInfoMetrics(models).bindTo(registry);
        new SchedulerMetrics(scheduler).bindTo(registry);
        latency.bindTo(registry);
        outcome.bindTo(registry);
        compression.bindTo(registry);
        listeners = List.of(latency, outcome, compression);
    }

    @AfterEach
    void close() {
        scheduler.destroy();
        registry.close();
    }

    @Test
    void exposesTheDocumentedNames() {
        String scrape = registry.scrape();
        assertThat(names(scrape)).contains(
                "veloxquant_num_requests_running", "veloxquant_num_requests_waiting",
                "veloxquant_kv_cache_usage_perc", "veloxquant_kv_cache_bytes", "veloxquant_kv_cache_fp16_bytes",
                "veloxquant_kv_cache_budget_bytes", "veloxquant_kv_cache_sequences", "veloxquant_kv_cache_config_info",
                "veloxquant_prompt_tokens_total", "veloxquant_generation_tokens_total",
                "veloxquant_time_to_first_token_seconds_bucket", "veloxquant_inter_token_latency_seconds_bucket",
                "veloxquant_e2e_request_latency_seconds_bucket", "veloxquant_request_queue_time_seconds_bucket",
                "veloxquant_request_prefill_time_seconds_bucket", "veloxquant_request_decode_time_seconds_bucket",
                "veloxquant_request_success_total", "veloxquant_request_failure_total",
                "veloxquant_request_kv_compression_ratio_bucket", "veloxquant_request_kv_key_bits_per_element_bucket",
                "veloxquant_request_kv_value_bits_per_element_bucket");
        // Every model x method series exists from startup, at 0.
        for (KVCacheMethod m : KVCacheMethod.values()) {
            assertThat(scrape).contains("veloxquant_kv_cache_bytes{method=\"" + m.id() + "\",model=\"velox-tiny\"} 0");
        }
        assertThat(scrape).contains("veloxquant_kv_cache_budget_bytes{model=\"velox-tiny\"} 1.073741824E9");
        assertThat(scrape).containsPattern("veloxquant_kv_cache_config_info\\{bits=\"16\",group_size=\"32\",method=\"fp16\",model=\"velox-tiny\",num_residuals=\"1\",value_bits=\"16\",window_size=\"32\"} 1");
    }

    @Test
    void recordsAFinishedRequest() {
        KVCacheConfig commvq = KVCacheConfig.of(KVCacheMethod.COMMVQ);
        // 100 tokens x 6 layers x 2 heads x 64 dims, keys at 4 bits, values fp16.
        long elements = 100L * 6 * 2 * 64;
        CacheFootprint f = new CacheFootprint(100, elements, elements / 2, elements * 2);
        GenerationOutcome o = new GenerationOutcome("velox-tiny", "completions", commvq, f, FinishReason.LENGTH,
                90, 10, 5_000_000, 20_000_000, 30_000_000);
        for (RequestListener l : listeners) {
            l.generationStarted("velox-tiny", "completions", 1_000_000);
            l.firstToken("velox-tiny", "completions", 7_000_000);
            l.interToken("velox-tiny", "completions", 2_000_000);
            l.generationFinished(o);
            l.requestFailed("no-such-model", "completions", 404, "model_not_found");
            l.requestFailed(null, "other", 400, "Weird Code!");
        }
        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("veloxquant_prompt_tokens_total{method=\"commvq\",model=\"velox-tiny\"} 90.0")
                .contains("veloxquant_generation_tokens_total{method=\"commvq\",model=\"velox-tiny\"} 10.0")
                .contains("veloxquant_request_success_total{finished_reason=\"length\",model=\"velox-tiny\"} 1.0")
                .contains("veloxquant_request_failure_total{error_type=\"model_not_found\"} 1.0")
                .contains("veloxquant_request_failure_total{error_type=\"other\"} 1.0")
                .contains("veloxquant_request_kv_compression_ratio_sum{method=\"commvq\",model=\"velox-tiny\"} 1.6")
                .contains("veloxquant_request_kv_key_bits_per_element_sum{method=\"commvq\",model=\"velox-tiny\"} 4.0")
                .contains("veloxquant_request_kv_value_bits_per_element_sum{method=\"commvq\",model=\"velox-tiny\"} 16.0")
                .contains("veloxquant_time_to_first_token_seconds_bucket{model=\"velox-tiny\",le=\"0.01\"} 1")
                .contains("veloxquant_e2e_request_latency_seconds_count{method=\"commvq\",model=\"velox-tiny\"} 1");
        // No request ids or user strings as label values.
        assertThat(scrape).doesNotContain("no-such-model").doesNotContain("Weird");
    }

    @Test
    void everyMetricTheDashboardAndAlertsQueryIsExposed() throws IOException {
        Set<String> exposed = names(registry.scrape());
        Set<String> queried = new TreeSet<>();
        for (Path p : List.of(CONFIG.resolve("grafana/dashboards/veloxquant.json"), CONFIG.resolve("alert-rules.yml"))) {
            Matcher m = METRIC.matcher(Files.readString(p));
            while (m.find()) {
                queried.add(m.group());
            }
        }
        assertThat(queried).hasSizeGreaterThan(15);
        assertThat(exposed).containsAll(queried);
    }

    private static Set<String> names(String scrape) {
        Set<String> out = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                out.add(line.split("[{ ]", 2)[0]);
            }
        }
        return out;
    }
}
