package dev.veloxquant.server.api;

import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ServedModel;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/** Finds the model a request names: 404 when not configured, 503 while it loads or after it failed. */
@Component
public class ModelResolver {
    private final ModelRegistry registry;

    public ModelResolver(ModelRegistry registry) {
        this.registry = registry;
    }

    ServedModel resolve(JsonRequest r, ServerWebExchange exchange) {
        String id = r.string("model");
        if (id == null) {
            id = registry.defaultModelId();
        }
        return resolve(id, exchange);
    }

    ServedModel resolve(String id, ServerWebExchange exchange) {
        if (!registry.isConfigured(id)) {
            throw ApiErrors.modelNotFound(id);
        }
        exchange.getAttributes().put(OpenAiErrorHandler.MODEL_ATTRIBUTE, id);
        return registry.find(id).orElseThrow(() -> ApiErrors.modelNotReady(id, switch (registry.state(id)) {
            case FAILED -> "it failed to load (" + registry.failure(id).orElse("see the server log") + ")";
            default -> "it is still loading";
        }));
    }
}
