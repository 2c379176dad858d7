package dev.veloxquant.engine.api;

import dev.veloxquant.engine.chat.ChatTemplate;
import dev.veloxquant.engine.chat.JinjaChatTemplate;
import dev.veloxquant.engine.kernel.Parallel;
import dev.veloxquant.engine.llama.LlamaLanguageModel;
import dev.veloxquant.engine.tokenizer.HfTokenizer;
import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Entry point for loading a model directory (Hugging Face layout) into a {@link LanguageModel}. */
public final class LanguageModels {
    private LanguageModels() {
    }

    /**
     * Loads a model directory. Fails with a message naming what is unsupported or missing.
     * Matmuls run on all cores unless the system property {@code velox.threads} says otherwise.
     *
     * @param modelId  the id clients will use
     * @param progress receives human-readable progress lines while loading
     */
    public static LanguageModel load(Path modelDir, String modelId, Consumer<String> progress) {
        return load(modelDir, modelId, progress, Parallel.defaultThreads());
    }

    /** As {@link #load(Path, String, Consumer)} on {@code threads} matmul threads. */
    public static LanguageModel load(Path modelDir, String modelId, Consumer<String> progress, int threads) {
        if (!Files.isDirectory(modelDir)) {
            throw new IllegalArgumentException("model directory " + modelDir + " does not exist");
        }
        progress.accept("loading " + modelId + " from " + modelDir);
        TextTokenizer tokenizer = HfTokenizer.load(modelDir);
        progress.accept("tokenizer: " + tokenizer.vocabSize() + " tokens");
        ChatTemplate template = chatTemplate(modelDir, modelId, progress);
        return LlamaLanguageModel.load(modelDir, modelId, progress, tokenizer, template, threads);
    }

    private static ChatTemplate chatTemplate(Path modelDir, String modelId, Consumer<String> progress) {
        try {
            return JinjaChatTemplate.load(modelDir);
        } catch (RuntimeException e) {
            // Base models ship without a template: they still complete text; only chat rendering fails.
            String why = e.getMessage();
            progress.accept("no usable chat template (" + why + "); chat requests will be refused");
            return (messages, addGenerationPrompt) -> {
                throw new UnsupportedOperationException("model " + modelId + " has no usable chat template: " + why);
            };
        }
    }
}
