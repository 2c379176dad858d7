package dev.veloxquant.server.model;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.server.kv.KvCacheSettings;

/**
 * A loaded model with its serving defaults.
 *
 * @param created unix seconds when it finished loading (the OpenAI {@code created} of the model)
 */
public record ServedModel(ModelSpec spec, LanguageModel model, long created) {

    public String id() {
        return spec.id();
    }

    public KvCacheSettings kvCacheDefaults() {
        return spec.kvCacheDefaults();
    }

    /** The configuration a request without {@code kv_cache} gets. */
    public KVCacheConfig defaultKvCache() {
        return spec.kvCacheDefaults().toConfig();
    }
}
