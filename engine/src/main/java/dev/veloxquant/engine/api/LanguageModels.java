package dev.veloxquant.engine.api;

import java.nio.file.Path;
import java.util.function.Consumer;

/** Entry point for loading a model directory (Hugging Face layout) into a {@link LanguageModel}. */
public final class LanguageModels {
    private LanguageModels() {
    }

    /**
     * Loads a model directory. Fails with a message naming what is unsupported or missing.
     *
     * @param modelId  the id clients will use
     * @param progress receives human-readable progress lines while loading
     */
    public static LanguageModel load(Path modelDir, String modelId, Consumer<String> progress) {
        // TODO(engine): replaced by the real loader when the engine lands.
        throw new UnsupportedOperationException("model loading is not implemented yet");
    }
}
