package dev.veloxquant.server.model;

import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.stereotype.Component;

import java.util.function.Consumer;

/** Loads models through the engine's {@link LanguageModels#load}. */
@Component
@ConditionalOnMissingBean(value = ModelLoader.class, ignored = EngineModelLoader.class)
public class EngineModelLoader implements ModelLoader {

    @Override
    public LanguageModel load(ModelSpec spec, Consumer<String> progress) {
        return LanguageModels.load(spec.path(), spec.id(), progress);
    }
}
