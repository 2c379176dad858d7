package dev.veloxquant.server.api;

import org.springframework.stereotype.Component;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The JSON mapper of the OpenAI API: strict on input (no duplicate keys), plain on output. */
@Component
public class ApiJson {
    private final JsonMapper mapper = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    public JsonMapper mapper() {
        return mapper;
    }

    public ObjectNode object() {
        return mapper.createObjectNode();
    }

    public byte[] bytes(Object node) {
        return mapper.writeValueAsBytes(node);
    }

    public String string(Object node) {
        return mapper.writeValueAsString(node);
    }
}
