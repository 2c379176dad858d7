package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

class TokenizerStreamingDecoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String stream(TextTokenizer tokenizer, int[] ids, boolean skipSpecial, List<String> pieces) {
        TextTokenizer.StreamingDecoder decoder = tokenizer.streamingDecoder(skipSpecial);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.push(id);
            pieces.add(piece);
            out.append(piece);
        }
        String tail = decoder.flush();
        pieces.add(tail);
        return out.append(tail).toString();
    }

    /** Streaming any reference string, id by id, gives exactly what decoding all ids at once gives. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama3", "qwen2", "llama2", "metaspace"})
    void streamedTextEqualsFullDecode(String style) throws IOException {
        HfTokenizer tokenizer = HfTokenizer.fromJson(TokenizerReferenceTest.resource(style + ".tokenizer.json"));
        JsonNode cases = JSON.readTree(TokenizerReferenceTest.resource(style + ".fuzz.json"));
        for (JsonNode c : cases) {
            int[] ids = TokenizerReferenceTest.ids(c.get("ids"));
            for (boolean skip : new boolean[] {false, true}) {
                List<String> pieces = new ArrayList<>();
                String streamed = stream(tokenizer, ids, skip, pieces);
                assertThat(streamed).as(style + " " + c.get("text")).isEqualTo(tokenizer.decode(ids, skip));
                if (!tokenizer.decode(ids, skip).contains("\uFFFD")) {
                    assertThat(pieces).as("no piece carries half a character").noneMatch(p -> p.contains("\uFFFD"));
                }
            }
        }
    }

    @Test
    void holdsMultiByteCharacterUntilItsLastByte() throws IOException {
        HfTokenizer tokenizer = HfTokenizer.fromJson(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        // The trained vocabulary has no token for "🦀" (F0 9F A6 80), so it arrives in several byte tokens.
        int[] ids = tokenizer.encode("a🦀b");
        List<String> pieces = new ArrayList<>();
        String text = stream(tokenizer, ids, false, pieces);
        assertThat(text).isEqualTo("a🦀b");
        assertThat(pieces).contains("🦀").noneMatch(p -> p.contains("\uFFFD"));
        int crab = pieces.indexOf("🦀");
        assertThat(crab).as("the bytes before the last one produced nothing").isGreaterThanOrEqualTo(2);
        assertThat(pieces.subList(crab - 2, crab)).containsOnly("");
    }

    @Test
    void incompleteSequenceBecomesReplacementCharacterAtFlush() throws IOException {
        HfTokenizer tokenizer = HfTokenizer.fromJson(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        int e2 = tokenizer.encode("€")[0]; // "€" is E2 82 AC; its first byte has its own token
        assertThat(tokenizer.tokenBytes(e2)).containsExactly(0xE2);
        TextTokenizer.StreamingDecoder decoder = tokenizer.streamingDecoder(false);
        assertThat(decoder.push(tokenizer.encode("x")[0])).isEqualTo("x");
        assertThat(decoder.push(e2)).isEmpty();
        assertThat(decoder.flush()).isEqualTo("\uFFFD");
    }

    @Test
    void invalidBytesInTheMiddleAreReplacedNotHeld() throws IOException {
        HfTokenizer tokenizer = HfTokenizer.fromJson(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        int e2 = tokenizer.encode("€")[0];
        TextTokenizer.StreamingDecoder decoder = tokenizer.streamingDecoder(false);
        assertThat(decoder.push(e2)).isEmpty();
        assertThat(decoder.push(tokenizer.encode("z")[0])).isEqualTo("\uFFFDz");
        assertThat(decoder.flush()).isEmpty();
    }

    @Test
    void completeLengthStopsBeforeAnOpenSequence() {
        byte[] bytes = "a€".getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8StreamingDecoder.completeLength(bytes, 0)).isEqualTo(4);
        assertThat(Utf8StreamingDecoder.completeLength(java.util.Arrays.copyOf(bytes, 3), 0)).isEqualTo(1);
        assertThat(Utf8StreamingDecoder.completeLength(java.util.Arrays.copyOf(bytes, 2), 0)).isEqualTo(1);
        assertThat(Utf8StreamingDecoder.completeLength(new byte[] {(byte) 0x80}, 0)).isEqualTo(1);
    }
}
