package dev.veloxquant.server.metrics;

import dev.veloxquant.server.generation.RequestListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads the live KV-cache gauges of one method on the generating thread at every token (a request
 * listener, like the metrics themselves) and keeps the largest reading: what a scrape at that
 * instant would have seen.
 */
final class KvGaugeProbe implements RequestListener {
    record Reading(double bytes, double fp16Bytes, double sequences) {
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class ProbeConfiguration {
        @Bean
        KvGaugeProbe kvGaugeProbe(MeterRegistry registry) {
            return new KvGaugeProbe(registry);
        }
    }

    private final MeterRegistry registry;
    private final AtomicReference<String> method = new AtomicReference<>();
    private final AtomicReference<Reading> largest = new AtomicReference<>();

    KvGaugeProbe(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Starts watching {@code kvMethod} (and forgets earlier readings). */
    void watch(String kvMethod) {
        largest.set(null);
        method.set(kvMethod);
    }

    Reading largest() {
        return largest.get();
    }

    @Override
    public void firstToken(String model, String endpoint, long sinceArrivalNanos) {
        read(model);
    }

    @Override
    public void interToken(String model, String endpoint, long sincePreviousNanos) {
        read(model);
    }

    private void read(String model) {
        String m = method.get();
        if (m == null) {
            return;
        }
        Reading r = new Reading(gauge(registry, "veloxquant.kv.cache", model, m),
                gauge(registry, "veloxquant.kv.cache.fp16", model, m),
                gauge(registry, "veloxquant.kv.cache.sequences", model, m));
        largest.accumulateAndGet(r, (a, b) -> a == null || b.fp16Bytes() >= a.fp16Bytes() ? b : a);
    }

    static double gauge(MeterRegistry registry, String name, String model, String method) {
        Gauge g = registry.find(name).tag("model", model).tag("method", method).gauge();
        assertThat(g).as("gauge %s{model=%s,method=%s}", name, model, method).isNotNull();
        return g.value();
    }
}
