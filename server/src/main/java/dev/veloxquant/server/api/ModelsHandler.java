package dev.veloxquant.server.api;

import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ServedModel;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}: the loaded models, with context length and KV-cache defaults. */
@Component
public class ModelsHandler {
    private final ModelRegistry registry;
    private final ModelResolver resolver;
    private final ApiJson json;

    public ModelsHandler(ModelRegistry registry, ModelResolver resolver, ApiJson json) {
        this.registry = registry;
        this.resolver = resolver;
        this.json = json;
    }

    public Mono<ServerResponse> list(ServerRequest request) {
        ObjectNode root = json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (ServedModel m : registry.models()) {
            data.add(model(m));
        }
        return ok(root);
    }

    public Mono<ServerResponse> get(ServerRequest request) {
        // {*id} keeps the leading slash and lets ids contain slashes ("org/name").
        String id = request.pathVariable("id");
        id = id.startsWith("/") ? id.substring(1) : id;
        if (id.isEmpty()) {
            return Mono.error(ApiErrors.modelNotFound(id));
        }
        return ok(model(resolver.resolve(id, request.exchange())));
    }

    private ObjectNode model(ServedModel m) {
        ObjectNode o = json.object();
        o.put("id", m.id());
        o.put("object", "model");
        o.put("created", m.created());
        o.put("owned_by", "veloxquant");
        o.put("max_model_len", m.model().contextLength());
        var c = m.defaultKvCache();
        ObjectNode kv = OpenAiFormat.kvSettings(json, c);
        kv.put("key_bits_per_element_nominal", c.nominalKeyBits());
        o.set("kv_cache", kv);
        return o;
    }

    private Mono<ServerResponse> ok(ObjectNode body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(json.bytes(body));
    }
}
