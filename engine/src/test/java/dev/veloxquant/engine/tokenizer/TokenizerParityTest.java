package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The embedded model's tokenizer against the ids transformers produced for
 * models/velox-tiny/reference/tokens.json: exact ids (without and with special tokens), token strings
 * and the round trip back to the text, at once and streamed id by id.
 */
class TokenizerParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void matchesTransformersOnTheReferenceStrings() throws IOException {
        HfTokenizer tokenizer = HfTokenizer.load(EmbeddedModel.directory());
        JsonNode root = JSON.readTree(Files.readString(EmbeddedModel.reference("tokens.json")));
        JsonNode cases = root.isArray() ? root : root.path("cases");
        List<String> mismatches = new ArrayList<>();
        int exact = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asString();
            String label = JSON.writeValueAsString(text);
            int[] expected = TokenizerReferenceTest.ids(c.get("ids"));
            int[] actual = tokenizer.encode(text);
            boolean ok = Arrays.equals(expected, actual);
            if (!ok) {
                mismatches.add("encode " + label + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(actual));
            }
            if (c.has("ids_default")) {
                int[] withSpecial = tokenizer.encodeWithSpecialTokens(text);
                if (!Arrays.equals(TokenizerReferenceTest.ids(c.get("ids_default")), withSpecial)) {
                    ok = false;
                    mismatches.add("encodeWithSpecialTokens " + label + ": got " + Arrays.toString(withSpecial));
                }
            }
            if (c.has("tokens")) {
                for (int i = 0; i < expected.length && i < c.get("tokens").size(); i++) {
                    if (!tokenizer.tokenString(expected[i]).equals(c.get("tokens").get(i).asString())) {
                        ok = false;
                        mismatches.add("token string of " + expected[i] + " in " + label);
                    }
                }
            }
            String decoded = tokenizer.decode(expected, false);
            if (!decoded.equals(text)) {
                ok = false;
                mismatches.add("decode " + label + ": got " + JSON.writeValueAsString(decoded));
            }
            TextTokenizer.StreamingDecoder stream = tokenizer.streamingDecoder(false);
            StringBuilder streamed = new StringBuilder();
            for (int id : expected) {
                String piece = stream.push(id);
                if (piece.contains("\uFFFD")) {
                    ok = false;
                    mismatches.add("streaming " + label + " emitted half a character");
                }
                streamed.append(piece);
            }
            if (!streamed.append(stream.flush()).toString().equals(text)) {
                ok = false;
                mismatches.add("streaming " + label + ": got " + JSON.writeValueAsString(streamed.toString()));
            }
            exact += ok ? 1 : 0;
        }
        System.out.printf("TokenizerParityTest: %d of %d reference strings exact%n", exact, cases.size());
        assertThat(cases.size()).isPositive();
        assertThat(mismatches).as(exact + " of " + cases.size() + " strings exact").isEmpty();
    }
}
