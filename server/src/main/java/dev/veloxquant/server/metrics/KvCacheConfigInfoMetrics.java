package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ModelSpec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * {@code veloxquant_kv_cache_config_info{model,method,bits,num_residuals,value_bits,group_size,window_size} 1}:
 * the KV-cache settings a request without {@code kv_cache} gets, per model (application.yml defaults
 * layered over the global ones), in the style of vLLM's {@code vllm:cache_config_info}. {@code bits}
 * is bits per element per residual stage for commvq / turboquant and the method's own width for
 * fp16 / intN (which have one stage).
 */
@Component
public class KvCacheConfigInfoMetrics implements MeterBinder {
    private final ModelRegistry models;

    public KvCacheConfigInfoMetrics(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ModelSpec spec : models.specs()) {
            KVCacheConfig c = spec.kvCacheDefaults().toConfig();
            boolean staged = c.method() == KVCacheMethod.COMMVQ || c.method() == KVCacheMethod.TURBOQUANT;
            Gauge.builder("veloxquant.kv.cache.config.info", () -> 1)
                    .description("Default KV-cache settings of a model (value always 1; the settings are the labels)")
                    .tag("model", spec.id())
                    .tag("method", c.method().id())
                    .tag("bits", Integer.toString(staged ? c.bits() : c.nominalKeyBits()))
                    .tag("num_residuals", Integer.toString(staged ? c.numResiduals() : 1))
                    .tag("value_bits", Integer.toString(c.effectiveValueBits()))
                    .tag("group_size", Integer.toString(c.groupSize()))
                    .tag("window_size", Integer.toString(c.windowSize()))
                    .strongReference(true)
                    .register(registry);
        }
    }
}
