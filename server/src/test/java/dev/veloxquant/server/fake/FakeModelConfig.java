package dev.veloxquant.server.fake;

import dev.veloxquant.server.model.ModelLoader;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Replaces the engine loader with {@link FakeLanguageModel}s, kept by id for assertions. */
@TestConfiguration(proxyBeanMethods = false)
public class FakeModelConfig {

    /** The fakes loaded by the current context, by model id. */
    public static final class FakeModels {
        private final Map<String, FakeLanguageModel> byId = new ConcurrentHashMap<>();

        public FakeLanguageModel get(String id) {
            return byId.get(id);
        }
    }

    @Bean
    FakeModels fakeModels() {
        return new FakeModels();
    }

    @Bean
    @Primary
    ModelLoader fakeModelLoader(FakeModels models) {
        return (spec, progress) -> {
            progress.accept("fake model, nothing to read");
            return models.byId.computeIfAbsent(spec.id(), FakeLanguageModel::new);
        };
    }
}
