package dev.veloxquant.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veloxquant.engine.tokenizer.EmbeddedModel;
import dev.veloxquant.engine.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The embedded model's chat template against transformers' apply_chat_template(...,
 * add_generation_prompt=True) in models/velox-tiny/reference/chat.json: the rendered text and its ids.
 */
class ChatTemplateParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void matchesApplyChatTemplate() throws IOException {
        JinjaChatTemplate template = JinjaChatTemplate.load(EmbeddedModel.directory());
        HfTokenizer tokenizer = HfTokenizer.load(EmbeddedModel.directory());
        JsonNode root = JSON.readTree(Files.readString(EmbeddedModel.reference("chat.json")));
        JsonNode cases = root.isArray() ? root : root.path("conversations");
        boolean addGenerationPrompt = root.path("add_generation_prompt").asBoolean(true);
        List<String> mismatches = new ArrayList<>();
        int exact = 0;
        for (JsonNode c : cases) {
            List<ChatMessage> messages = ChatTemplateReferenceTest.messages(c.get("messages"));
            String want = c.get("rendered").asString();
            String got = template.render(messages, c.path("add_generation_prompt").asBoolean(addGenerationPrompt));
            boolean ok = got.equals(want);
            if (!ok) {
                mismatches.add(messages + ":\n  expected " + JSON.writeValueAsString(want) + "\n  got      " + JSON.writeValueAsString(got));
            }
            if (c.has("ids")) {
                int[] expectedIds = new int[c.get("ids").size()];
                for (int i = 0; i < expectedIds.length; i++) {
                    expectedIds[i] = c.get("ids").get(i).asInt();
                }
                int[] ids = tokenizer.encode(got);
                if (!Arrays.equals(expectedIds, ids)) {
                    ok = false;
                    mismatches.add(messages + ": ids expected " + Arrays.toString(expectedIds) + " got " + Arrays.toString(ids));
                }
            }
            exact += ok ? 1 : 0;
        }
        System.out.printf("ChatTemplateParityTest: %d of %d reference conversations exact%n", exact, cases.size());
        assertThat(cases.size()).isPositive();
        assertThat(mismatches).as(exact + " of " + cases.size() + " conversations exact").isEmpty();
    }
}
