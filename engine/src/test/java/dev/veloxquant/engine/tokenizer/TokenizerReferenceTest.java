package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Exact ids and decodings against Hugging Face's Rust tokenizers on small tokenizer.json files in the
 * GPT-2, Llama-3, Qwen2, Llama-2 and Metaspace styles (expected data from
 * engine/src/test/generators/tokenizer-reference.mjs).
 */
class TokenizerReferenceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static String resource(String name) throws IOException {
        try (InputStream in = TokenizerReferenceTest.class.getResourceAsStream("/tokenizer/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /tokenizer/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama3", "qwen2", "llama2", "metaspace"})
    void matchesHuggingFaceTokenizersOnTrickyStrings(String style) throws IOException {
        compare(style, "expected");
    }

    /** 150 random mixes of whitespace, digits, contractions, scripts, emoji and special tokens per style. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama3", "qwen2", "llama2", "metaspace"})
    void matchesHuggingFaceTokenizersOnRandomMixes(String style) throws IOException {
        compare(style, "fuzz");
    }

    private void compare(String style, String set) throws IOException {
        HfTokenizer tokenizer = HfTokenizer.fromJson(resource(style + ".tokenizer.json"));
        JsonNode cases = JSON.readTree(resource(style + "." + set + ".json"));
        List<String> mismatches = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asString();
            int[] expected = ids(c.get("ids"));
            int[] actual = tokenizer.encode(text);
            if (!Arrays.equals(expected, actual)) {
                mismatches.add("encode " + JSON.writeValueAsString(text) + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(actual));
            }
            int[] withSpecial = tokenizer.encodeWithSpecialTokens(text);
            if (!Arrays.equals(ids(c.get("ids_with_special")), withSpecial)) {
                mismatches.add("encodeWithSpecialTokens " + JSON.writeValueAsString(text) + ": got " + Arrays.toString(withSpecial));
            }
            String decoded = tokenizer.decode(expected, false);
            if (!decoded.equals(c.get("decoded").asString())) {
                mismatches.add("decode " + JSON.writeValueAsString(text) + ": expected " + JSON.writeValueAsString(c.get("decoded").asString())
                        + " got " + JSON.writeValueAsString(decoded));
            }
            String skipped = tokenizer.decode(expected, true);
            if (!skipped.equals(c.get("decoded_skip_special").asString())) {
                mismatches.add("decode(skipSpecial) " + JSON.writeValueAsString(text) + ": expected "
                        + JSON.writeValueAsString(c.get("decoded_skip_special").asString()) + " got " + JSON.writeValueAsString(skipped));
            }
        }
        assertThat(cases.size()).isGreaterThan(40);
        assertThat(mismatches).as(style + " " + set + ": " + cases.size() + " strings").isEmpty();
    }
}
