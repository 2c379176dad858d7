package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.kv.LiveKVCacheRegistry;
import dev.veloxquant.server.kv.LiveKVCacheRegistry.Totals;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ModelSpec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * Live KV-cache memory, the figure no other server reports: bytes the running requests' caches hold,
 * the fp16 bytes the same tokens would take, per model and method, and the share of the configured
 * budget in use. Every model x method series exists from startup (0 while idle) so that rates and
 * ratios over them always have data.
 *
 * <ul>
 *   <li>{@code veloxquant_kv_cache_bytes{model,method}} - bytes held (codes, scales, codebooks, fp16 window)</li>
 *   <li>{@code veloxquant_kv_cache_fp16_bytes{model,method}} - an fp16 cache of the same tokens</li>
 *   <li>{@code veloxquant_kv_cache_sequences{model,method}} - live sequences (one per running choice)</li>
 *   <li>{@code veloxquant_kv_cache_budget_bytes{model}} - {@code veloxquant.kv-cache.budget-bytes}</li>
 *   <li>{@code veloxquant_kv_cache_usage_perc{model}} - bytes held (all methods) / budget, 0..1 like
 *       vLLM's {@code vllm:kv_cache_usage_perc}</li>
 * </ul>
 */
@Component
public class KvCacheMemoryMetrics implements MeterBinder {
    private final ModelRegistry models;
    private final LiveKVCacheRegistry live;
    private final KvCacheBudgetProperties budget;

    public KvCacheMemoryMetrics(ModelRegistry models, LiveKVCacheRegistry live, KvCacheBudgetProperties budget) {
        this.models = models;
        this.live = live;
        this.budget = budget;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ModelSpec spec : models.specs()) {
            String model = spec.id();
            for (KVCacheMethod method : KVCacheMethod.values()) {
                Tags tags = Tags.of("model", model, "method", method.id());
                Gauge.builder("veloxquant.kv.cache", live, l -> l.totals(model, method).bytes())
                        .description("KV-cache bytes held by live sequences (codes, scales, codebooks, fp16 window)")
                        .baseUnit(BaseUnits.BYTES).tags(tags).strongReference(true).register(registry);
                Gauge.builder("veloxquant.kv.cache.fp16", live, l -> l.totals(model, method).fp16Bytes())
                        .description("Bytes an fp16 KV cache of the same live tokens would hold")
                        .baseUnit(BaseUnits.BYTES).tags(tags).strongReference(true).register(registry);
                Gauge.builder("veloxquant.kv.cache.sequences", live, l -> l.totals(model, method).sequences())
                        .description("Live sequences (KV caches) of this model and method")
                        .tags(tags).strongReference(true).register(registry);
            }
            Gauge.builder("veloxquant.kv.cache.budget", budget, b -> b.budgetBytes().toBytes())
                    .description("Configured KV-cache budget per model (veloxquant.kv-cache.budget-bytes)")
                    .baseUnit(BaseUnits.BYTES).tag("model", model).strongReference(true).register(registry);
            Gauge.builder("veloxquant.kv.cache.usage.perc", this, m -> m.usage(model))
                    .description("Fraction of the KV-cache budget held by this model's live sequences (1 = 100 %)")
                    .tag("model", model).strongReference(true).register(registry);
        }
    }

    /** Live bytes of every method of {@code model} over the budget. */
    double usage(String model) {
        long bytes = 0;
        for (var e : live.totals().entrySet()) {
            if (e.getKey().model().equals(model)) {
                Totals t = e.getValue();
                bytes += t.bytes();
            }
        }
        return (double) bytes / budget.budgetBytes().toBytes();
    }
}
