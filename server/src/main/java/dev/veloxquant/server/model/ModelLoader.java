package dev.veloxquant.server.model;

import dev.veloxquant.engine.api.LanguageModel;

import java.util.function.Consumer;

/** Turns a configured model into a loaded one; the engine does the work, tests may substitute it. */
@FunctionalInterface
public interface ModelLoader {

    LanguageModel load(ModelSpec spec, Consumer<String> progress);
}
