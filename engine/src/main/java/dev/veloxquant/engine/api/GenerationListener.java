package dev.veloxquant.engine.api;

import dev.veloxquant.cache.SequenceKVCache;

/** Receives a generation's progress on the generating thread. Must be quick. */
public interface GenerationListener {

    /** The sequence's cache was built (before prefill); it is closed when generation ends. Lets a server track live cache bytes. */
    default void onCacheCreated(SequenceKVCache cache) {
    }

    /** Prefill finished; the next call is the first token (time to first token). */
    default void onPrefillDone(int promptTokens) {
    }

    default void onToken(GeneratedToken token) {
    }

    GenerationListener NONE = new GenerationListener() {
    };
}
