package dev.veloxquant.engine.model;

import dev.veloxquant.engine.safetensors.UnsupportedModelException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The model's {@code generation_config.json}: its EOS ids and suggested sampling defaults. Absent
 * file or fields mean no preference (null / empty).
 */
public record GenerationConfig(Set<Integer> eosTokenIds, Integer bosTokenId, Double temperature, Double topP,
                               Integer topK, Double repetitionPenalty, Boolean doSample) {

    public static final GenerationConfig NONE = new GenerationConfig(Set.of(), null, null, null, null, null, null);

    public static GenerationConfig read(Path modelDir) {
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        try {
            JsonNode c = JsonMapper.builder().build().readTree(Files.readString(file));
            return new GenerationConfig(Set.copyOf(ModelConfig.tokenIds(c.get("eos_token_id"))),
                    c.hasNonNull("bos_token_id") ? c.get("bos_token_id").asInt() : null,
                    c.hasNonNull("temperature") ? c.get("temperature").asDouble() : null,
                    c.hasNonNull("top_p") ? c.get("top_p").asDouble() : null,
                    c.hasNonNull("top_k") ? c.get("top_k").asInt() : null,
                    c.hasNonNull("repetition_penalty") ? c.get("repetition_penalty").asDouble() : null,
                    c.hasNonNull("do_sample") ? c.get("do_sample").asBoolean() : null);
        } catch (IOException e) {
            throw new UnsupportedModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
