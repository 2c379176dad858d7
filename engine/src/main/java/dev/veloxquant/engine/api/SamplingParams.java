package dev.veloxquant.engine.api;

import java.util.Map;

/**
 * How the next token is chosen. temperature 0 means greedy. Penalties follow OpenAI (presence,
 * frequency: subtracted from logits of tokens already generated) and Hugging Face (repetition:
 * divide positive / multiply negative logits of tokens seen in prompt or output).
 *
 * @param topK      0 disables
 * @param topP      1 disables
 * @param minP      0 disables
 * @param seed      null draws a random seed; the same seed gives the same output
 * @param logitBias token id -> bias added to its logit (-100 effectively bans, +100 forces)
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, Long seed,
                             double repetitionPenalty, double presencePenalty, double frequencyPenalty,
                             Map<Integer, Float> logitBias) {
    public SamplingParams {
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0, 0, 1, 0, null, 1, 0, 0, Map.of());
    }
}
