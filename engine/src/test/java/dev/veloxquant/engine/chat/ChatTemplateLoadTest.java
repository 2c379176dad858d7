package dev.veloxquant.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the template in a model directory, special tokens as variables, and clear errors. */
class ChatTemplateLoadTest {

    @TempDir
    Path dir;

    private static final List<ChatMessage> HELLO = List.of(new ChatMessage("user", "Hello"));

    @Test
    void readsTheTemplateStringFromTokenizerConfig() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\","
                        + " \"chat_template\": \"{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}\"}");
        JinjaChatTemplate template = JinjaChatTemplate.load(dir);
        assertThat(template.render(HELLO, true)).isEqualTo("<s>[user]Hello</s>[assistant]");
        assertThat(template.render(HELLO, false)).isEqualTo("<s>[user]Hello</s>");
    }

    @Test
    void chatTemplateJinjaFileWinsAsInTransformers5() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"old\", \"eos_token\": \"<e>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}{{ m.content }}{{ eos_token }}\n{% endfor %}\n");
        assertThat(JinjaChatTemplate.load(dir).render(HELLO, true)).isEqualTo("Hello<e>\n");
    }

    @Test
    void picksTheDefaultOfNamedTemplatesOrTheOneAskedFor() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": ["
                + "{\"name\": \"default\", \"template\": \"D{{ messages[0].content }}\"},"
                + "{\"name\": \"tool_use\", \"template\": \"T{{ messages[0].content }}\"}]}");
        assertThat(JinjaChatTemplate.load(dir).render(HELLO, false)).isEqualTo("DHello");
        assertThat(JinjaChatTemplate.load(dir, "tool_use").render(HELLO, false)).isEqualTo("THello");
        assertThatThrownBy(() -> JinjaChatTemplate.load(dir, "rag"))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("'rag'").hasMessageContaining("default, tool_use");
    }

    @Test
    void missingTemplateIsAClearError() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertThatThrownBy(() -> JinjaChatTemplate.load(dir))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("no chat template").hasMessageContaining("chat_template.jinja");
    }

    @Test
    void syntaxErrorsFailAtLoad() {
        assertThatThrownBy(() -> new JinjaChatTemplate("{% for m in messages %}{{ m.content }}", Map.of()))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("does not parse");
    }

    @Test
    void raiseExceptionBecomesAChatTemplateExceptionWithTheMessage() {
        JinjaChatTemplate template = new JinjaChatTemplate(
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user, got ' + messages[0].role) }}{% endif %}ok", Map.of());
        assertThat(template.render(HELLO, false)).isEqualTo("ok");
        assertThatThrownBy(() -> template.render(List.of(new ChatMessage("assistant", "x")), false))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("Conversation must start with user, got assistant");
    }

    @Test
    void messagesAsMapsCarryToolCalls() {
        JinjaChatTemplate template = new JinjaChatTemplate(
                "{% for m in messages %}{% if m.tool_calls %}{% for c in m.tool_calls %}<call>{{ c.function | tojson }}</call>{% endfor %}"
                        + "{% else %}{{ m.content }}{% endif %}{% endfor %}", Map.of());
        Map<String, Object> function = new java.util.LinkedHashMap<>();
        function.put("name", "get_weather");
        function.put("arguments", Map.of("city", "Paris"));
        Map<String, Object> call = new java.util.LinkedHashMap<>();
        call.put("role", "assistant");
        call.put("content", "");
        call.put("tool_calls", List.of(Map.of("type", "function", "function", function)));
        String out = template.renderMessages(List.of(Map.of("role", "user", "content", "Weather?"), call), false, Map.of());
        assertThat(out).isEqualTo("Weather?<call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}</call>");
    }

    @Test
    void generationBlocksRenderTheirBody() {
        JinjaChatTemplate template = new JinjaChatTemplate(
                "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}<a>{{ m.content }}</a>{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}", Map.of());
        assertThat(template.render(List.of(new ChatMessage("user", "q"), new ChatMessage("assistant", "r")), false)).isEqualTo("q<a>r</a>");
    }

    @Test
    void strftimeNowAndExtraVariablesAreAvailable() {
        JinjaChatTemplate template = new JinjaChatTemplate("{{ strftime_now('%Y') }}|{{ enable_thinking }}|{{ tools | tojson }}", Map.of());
        String out = template.render(HELLO, false, Map.of("enable_thinking", false, "tools", List.of(Map.of("name", "f"))));
        assertThat(out).isEqualTo(java.time.Year.now() + "|False|[{\"name\": \"f\"}]");
    }
}
