package dev.veloxquant.engine.api;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheConfig;

import java.util.List;

/**
 * A finished generation.
 *
 * @param text            the generated text, stop string removed
 * @param tokens          generated token ids (including a stop token id if one ended it)
 * @param kvCache         the cache's footprint at its largest (just before it was closed)
 * @param promptLogprobs  per prompt token (first is null: nothing predicts it), when requested; else empty
 * @param tokenLogprobs   per generated token, when requested; else empty
 * @param topLogprobs     per generated token, the alternatives, when requested; else empty
 */
public record GenerationResult(String text, int[] tokens, FinishReason finishReason, int promptTokens,
                               KVCacheConfig kvCacheConfig, CacheFootprint kvCache,
                               List<TokenLogprob> promptLogprobs, List<TokenLogprob> tokenLogprobs,
                               List<List<TokenLogprob>> topLogprobs, long prefillNanos, long decodeNanos) {
    public int completionTokens() {
        return tokens.length;
    }
}
