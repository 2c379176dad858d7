package dev.veloxquant.engine.api;

import dev.veloxquant.cache.KVCacheConfig;

import java.util.List;
import java.util.Set;

/**
 * One generation.
 *
 * @param promptTokens   the full prompt, special tokens (BOS, chat template markers) already in place
 * @param maxTokens      tokens to generate at most (>= 0)
 * @param stop           stop strings; generation ends when the output contains one, which is cut off
 *                       from the text (they may span token boundaries)
 * @param stopTokenIds   token ids that end generation, in addition to the model's EOS ids
 * @param ignoreEos      keep going past EOS (benchmarks)
 * @param topLogprobs    -1: no logprobs; 0: logprob of the chosen token; N: also the top N alternatives
 * @param promptLogprobs also report the logprob of every prompt token (for echo + logprobs)
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens,
                                List<String> stop, Set<Integer> stopTokenIds, boolean ignoreEos,
                                int topLogprobs, boolean promptLogprobs, KVCacheConfig kvCache) {
    public GenerationRequest {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        kvCache = kvCache == null ? KVCacheConfig.fp16() : kvCache;
    }

    public static GenerationRequest simple(int[] promptTokens, SamplingParams sampling, int maxTokens, KVCacheConfig kv) {
        return new GenerationRequest(promptTokens, sampling, maxTokens, List.of(), Set.of(), false, -1, false, kv);
    }
}
