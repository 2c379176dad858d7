package dev.veloxquant.server.generation;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.engine.api.FinishReason;

/**
 * One finished choice, as listeners (metrics) see it.
 *
 * @param kvCache   the cache at its largest
 * @param totalNanos from the request's arrival to this choice's end
 */
public record GenerationOutcome(String model, String endpoint, KVCacheConfig kvCacheConfig, CacheFootprint kvCache,
                                FinishReason finishReason, int promptTokens, int completionTokens,
                                long prefillNanos, long decodeNanos, long totalNanos) {
}
