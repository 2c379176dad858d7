package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.generation.GenerationOutcome;
import dev.veloxquant.server.generation.RequestListener;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ModelSpec;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-request compression, measured on each finished choice's cache at its largest (the figures of
 * {@code usage.kv_cache}):
 * <ul>
 *   <li>{@code veloxquant_request_kv_compression_ratio{model,method}} - fp16 bytes / bytes held</li>
 *   <li>{@code veloxquant_request_kv_key_bits_per_element{model,method}} - key bytes x 8 / key elements,
 *       every overhead included (scales, codebooks, the fp16 window)</li>
 *   <li>{@code veloxquant_request_kv_value_bits_per_element{model,method}} - the same for values</li>
 * </ul>
 */
@Component
public class KvCompressionMetrics implements MeterBinder, RequestListener {
    static final double[] RATIO_BUCKETS = {1, 1.25, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 12, 16};
    static final double[] BITS_BUCKETS = {1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 12, 16};

    private final ModelRegistry models;
    private final Map<Tags, DistributionSummary> summaries = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    public KvCompressionMetrics(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        for (ModelSpec spec : models.specs()) {
            for (KVCacheMethod m : KVCacheMethod.values()) {
                ratio(spec.id(), m.id());
                keyBits(spec.id(), m.id());
                valueBits(spec.id(), m.id());
            }
        }
    }

    @Override
    public void generationFinished(GenerationOutcome o) {
        CacheFootprint f = o.kvCache();
        if (f == null || f.elements() == 0) {
            return;
        }
        String method = o.kvCacheConfig().method().id();
        record(ratio(o.model(), method), f.compressionRatio());
        record(keyBits(o.model(), method), f.keyBitsPerElement());
        record(valueBits(o.model(), method), f.valueBitsPerElement());
    }

    private static void record(DistributionSummary s, double v) {
        if (s != null) {
            s.record(v);
        }
    }

    private DistributionSummary ratio(String model, String method) {
        return summary("veloxquant.request.kv.compression.ratio",
                "Per request: fp16-equivalent KV bytes / KV bytes held (ratio)", RATIO_BUCKETS, model, method);
    }

    private DistributionSummary keyBits(String model, String method) {
        return summary("veloxquant.request.kv.key.bits.per.element",
                "Per request: bits held per key element, overheads included (bits)", BITS_BUCKETS, model, method);
    }

    private DistributionSummary valueBits(String model, String method) {
        return summary("veloxquant.request.kv.value.bits.per.element",
                "Per request: bits held per value element, overheads included (bits)", BITS_BUCKETS, model, method);
    }

    private DistributionSummary summary(String name, String description, double[] buckets, String model, String method) {
        MeterRegistry r = registry;
        if (r == null) {
            return null;
        }
        Tags tags = Tags.of("model", model, "method", method);
        return summaries.computeIfAbsent(tags.and("name", name), k -> DistributionSummary.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(buckets)
                .register(r));
    }
}
