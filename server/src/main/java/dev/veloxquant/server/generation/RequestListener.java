package dev.veloxquant.server.generation;

/**
 * Observes requests as they pass through the server, for metrics. Every method is called on a
 * request or generation thread and must be quick and must not throw. Labels passed here are bounded
 * (model ids, endpoint names, methods, finish reasons, error types): never request ids or user text.
 */
public interface RequestListener {

    /** A generation request was accepted into the queue. */
    default void requestQueued(String model, String endpoint) {
    }

    /** A worker picked the request up after {@code queueNanos} in the queue. */
    default void generationStarted(String model, String endpoint, long queueNanos) {
    }

    /** The request's first generated token, {@code sinceArrivalNanos} after the request arrived. */
    default void firstToken(String model, String endpoint, long sinceArrivalNanos) {
    }

    /** A later token, {@code sincePreviousNanos} after the one before it. */
    default void interToken(String model, String endpoint, long sincePreviousNanos) {
    }

    /** One choice finished (not called for cancelled ones). */
    default void generationFinished(GenerationOutcome outcome) {
    }

    /** Generation stopped because the client went away or the request timed out. */
    default void generationCancelled(String model, String endpoint, boolean timedOut) {
    }

    /**
     * A request under /v1 ended in an error response.
     *
     * @param model     the requested model, or null when unknown at that point
     * @param errorType the OpenAI error {@code code} (e.g. rate_limit_exceeded, invalid_kv_cache)
     */
    default void requestFailed(String model, String endpoint, int status, String errorType) {
    }
}
