package dev.veloxquant.server.generation;

import dev.veloxquant.engine.api.GenerationRequest;

/** One choice of a request: which prompt it continues ({@code promptIndex}) and the engine request. */
public record ChoicePlan(int index, int promptIndex, GenerationRequest request) {
}
