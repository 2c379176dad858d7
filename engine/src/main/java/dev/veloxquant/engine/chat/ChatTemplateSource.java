package dev.veloxquant.engine.chat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Finds a model's chat template: chat_template.jinja (the transformers 5 layout) wins, then the
 * "chat_template" of tokenizer_config.json, either a string or a list of {"name", "template"} where
 * "default" is taken.
 */
final class ChatTemplateSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatTemplateSource() {
    }

    static String find(Path modelDir, String name) {
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (name == null && Files.isRegularFile(jinja)) {
            return read(jinja);
        }
        Path config = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode template = JSON.readTree(read(config)).path("chat_template");
            if (template.isString()) {
                return template.asString();
            }
            if (template.isArray()) {
                String wanted = name == null ? "default" : name;
                StringBuilder names = new StringBuilder();
                for (JsonNode entry : template) {
                    String entryName = entry.path("name").asString("");
                    if (entryName.equals(wanted)) {
                        return entry.path("template").asString();
                    }
                    names.append(names.isEmpty() ? "" : ", ").append(entryName);
                }
                throw new ChatTemplateException("tokenizer_config.json has no chat template named '" + wanted + "' (it has: " + names + ")");
            }
        }
        throw new ChatTemplateException("no chat template in " + modelDir + ": expected chat_template.jinja or a \"chat_template\" in tokenizer_config.json");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
