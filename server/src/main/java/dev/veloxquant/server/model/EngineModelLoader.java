package dev.veloxquant.server.model;

import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import org.springframework.stereotype.Component;

import java.util.function.Consumer;

/** Loads models through the engine's {@link LanguageModels#load}; tests substitute a {@code @Primary} loader. */
@Component
public class EngineModelLoader implements ModelLoader {

    @Override
    public LanguageModel load(ModelSpec spec, Consumer<String> progress) {
        return LanguageModels.load(spec.path(), spec.id(), progress);
    }
}
