package dev.veloxquant.server.model;

import dev.veloxquant.server.kv.KvCacheSettings;

import java.nio.file.Path;

/**
 * A model the server is configured to serve.
 *
 * @param kvCacheDefaults the model's KV-cache settings already layered over the global ones
 */
public record ModelSpec(String id, Path path, KvCacheSettings kvCacheDefaults) {
}
