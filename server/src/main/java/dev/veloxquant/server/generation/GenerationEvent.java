package dev.veloxquant.server.generation;

import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationResult;

/** What a running job reports, in order: Started once, then per choice its tokens and its end. */
public sealed interface GenerationEvent {

    /** The first prefill succeeded: the KV-cache settings were accepted and output will follow. */
    record Started() implements GenerationEvent {
    }

    record Token(int choice, GeneratedToken token) implements GenerationEvent {
    }

    record ChoiceDone(int choice, GenerationResult result) implements GenerationEvent {
    }
}
