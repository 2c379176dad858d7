package dev.veloxquant.engine.api;

import java.util.List;

/**
 * One generated token as it streams out.
 *
 * @param textDelta   text that became final with this token: complete UTF-8 only, and held back
 *                    while it could still be the start of a stop string; may be empty
 * @param logprob     the chosen token's logprob, or null when not requested
 * @param topLogprobs the top alternatives, empty when not requested
 */
public record GeneratedToken(int index, int tokenId, String textDelta, TokenLogprob logprob, List<TokenLogprob> topLogprobs) {
}
