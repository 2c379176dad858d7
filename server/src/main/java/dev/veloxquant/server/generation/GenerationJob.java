package dev.veloxquant.server.generation;

import dev.veloxquant.server.model.ServedModel;

import java.util.List;

/**
 * Everything one HTTP request asks the engine to generate. Its choices run one after another on one
 * worker, so a request holds one worker and at most one live KV cache at a time.
 *
 * @param endpoint     "completions" or "chat" (a bounded label for listeners)
 * @param arrivalNanos {@link System#nanoTime()} when the request arrived (for time to first token)
 */
public record GenerationJob(ServedModel model, String endpoint, List<ChoicePlan> choices, long arrivalNanos) {
    public GenerationJob {
        choices = List.copyOf(choices);
    }
}
