package dev.veloxquant.engine.api;

/** A token with its log-probability under the model (after temperature 1, before sampling filters). */
public record TokenLogprob(int tokenId, String text, byte[] bytes, float logprob) {
}
