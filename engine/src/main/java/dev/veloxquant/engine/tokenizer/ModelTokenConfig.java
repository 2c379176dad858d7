package dev.veloxquant.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The special-token facts spread over a Hugging Face model directory: tokenizer_config.json (token
 * strings, add_bos_token), generation_config.json and config.json (bos/eos ids; eos may be a list, bos null).
 */
public record ModelTokenConfig(Map<String, String> specialTokens, Boolean addBosToken, Boolean addEosToken,
                               String tokenizerClass, List<Integer> generationEosIds, List<Integer> configEosIds,
                               Integer generationBosId, Integer configBosId) {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The special token names transformers passes to chat templates. */
    public static final List<String> TOKEN_NAMES = List.of("bos_token", "eos_token", "unk_token", "pad_token",
            "sep_token", "cls_token", "mask_token");

    public static ModelTokenConfig load(Path modelDir) {
        JsonNode tokenizerConfig = readOptional(modelDir.resolve("tokenizer_config.json"));
        JsonNode generation = readOptional(modelDir.resolve("generation_config.json"));
        JsonNode config = readOptional(modelDir.resolve("config.json"));
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : TOKEN_NAMES) {
            String value = tokenText(tokenizerConfig.path(name));
            if (value != null) {
                tokens.put(name, value);
            }
        }
        return new ModelTokenConfig(Map.copyOf(tokens), optionalBoolean(tokenizerConfig.path("add_bos_token")),
                optionalBoolean(tokenizerConfig.path("add_eos_token")), tokenizerConfig.path("tokenizer_class").asString(null),
                ids(generation.path("eos_token_id")), ids(config.path("eos_token_id")),
                firstId(generation.path("bos_token_id")), firstId(config.path("bos_token_id")));
    }

    /** A token given as "text" or as {"content": "text", ...}; null when absent. */
    public static String tokenText(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            return node.path("content").asString(null);
        }
        return node.isString() ? node.asString() : null;
    }

    public static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Boolean optionalBoolean(JsonNode node) {
        return node.isBoolean() ? node.asBoolean() : null;
    }

    private static List<Integer> ids(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asInt()));
        } else if (node.isNumber()) {
            out.add(node.asInt());
        }
        return List.copyOf(out);
    }

    private static Integer firstId(JsonNode node) {
        List<Integer> ids = ids(node);
        return ids.isEmpty() ? null : ids.getFirst();
    }
}
