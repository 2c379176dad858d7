package dev.veloxquant.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Renders templates in the style of Llama-3, Llama-3.1, Qwen2, Qwen3, Mistral, Gemma, ChatML and Zephyr
 * (plus two that stress Python expressions and whitespace control) and compares with what Python's
 * jinja2, set up as transformers sets it up, rendered (engine/src/test/generators/chat-template-reference.py).
 */
class ChatTemplateReferenceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateReferenceTest.class.getResourceAsStream("/chat/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /chat/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : array) {
            out.add(new ChatMessage(m.get("role").asString(), m.get("content").asString()));
        }
        return out;
    }

    @Test
    void rendersLikePythonJinja2() throws IOException {
        JsonNode expected = JSON.readTree(resource("expected.json"));
        Map<String, String> special = new HashMap<>();
        expected.get("special_tokens").properties().forEach(e -> special.put(e.getKey(), e.getValue().asString()));
        Map<String, JinjaChatTemplate> templates = new HashMap<>();
        List<String> mismatches = new ArrayList<>();
        int rendered = 0;
        int raised = 0;
        for (JsonNode c : expected.get("cases")) {
            String name = c.get("template").asString();
            JinjaChatTemplate template;
            try {
                template = templates.computeIfAbsent(name, n -> {
                    try {
                        return new JinjaChatTemplate(resource("templates/" + n + ".jinja"), special);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (ChatTemplateException e) {
                mismatches.add(name + ": " + e.getMessage());
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = JSON.treeToValue(c.get("variables"), Map.class);
            List<ChatMessage> chat = messages(c.get("messages"));
            boolean agp = c.get("add_generation_prompt").asBoolean();
            String label = name + " agp=" + agp + " vars=" + variables.keySet() + " " + chat;
            if (c.has("error")) {
                raised++;
                try {
                    String out = template.render(chat, agp, variables);
                    mismatches.add(label + ": expected error '" + c.get("error").asString() + "' but rendered " + JSON.writeValueAsString(out));
                } catch (ChatTemplateException e) {
                    if (!e.getMessage().contains(c.get("error").asString())) {
                        mismatches.add(label + ": expected error '" + c.get("error").asString() + "' got '" + e.getMessage() + "'");
                    }
                }
                continue;
            }
            rendered++;
            String want = c.get("rendered").asString();
            try {
                String got = template.render(chat, agp, variables);
                if (!got.equals(want)) {
                    mismatches.add(label + ":\n  expected " + JSON.writeValueAsString(want) + "\n  got      " + JSON.writeValueAsString(got));
                }
            } catch (RuntimeException e) {
                mismatches.add(label + ": threw " + e);
            }
        }
        assertThat(mismatches).as(rendered + " renderings and " + raised + " raised errors compared").isEmpty();
    }
}
