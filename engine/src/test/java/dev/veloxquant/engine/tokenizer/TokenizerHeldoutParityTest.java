package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The embedded model's whole held-out text (about 300k tokens), encoded at once and line by line, must
 * give the ids Hugging Face's Rust tokenizers gives; compared through the digests in
 * velox-tiny.heldout.json (engine/src/test/generators/tokenizer-reference.mjs --digest).
 */
class TokenizerHeldoutParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static String fnv1a64(int[]... idLists) {
        long h = 0xcbf29ce484222325L;
        for (int[] ids : idLists) {
            for (int id : ids) {
                for (int k = 0; k < 4; k++) {
                    h ^= (id >>> (8 * k)) & 0xFF;
                    h *= 0x100000001b3L;
                }
            }
        }
        return String.format("%016x", h);
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void heldoutTextEncodesExactlyAsTheRustLibrary() throws Exception {
        JsonNode expected = JSON.readTree(TokenizerReferenceTest.resource("velox-tiny.heldout.json"));
        Path dir = EmbeddedModel.directory();
        Path heldout = dir.resolve("eval").resolve("heldout.txt");
        assertThat(sha256(dir.resolve("tokenizer.json"))).as("tokenizer.json changed: rerun the --digest generator")
                .isEqualTo(expected.get("tokenizer_sha256").asString());
        assertThat(sha256(heldout)).as("heldout.txt changed: rerun the --digest generator").isEqualTo(expected.get("text_sha256").asString());

        HfTokenizer tokenizer = HfTokenizer.load(dir);
        String text = Files.readString(heldout);
        int[] whole = tokenizer.encode(text);
        int[] first = java.util.Arrays.copyOf(whole, Math.min(whole.length, expected.get("first_ids").size()));
        assertThat(first).isEqualTo(TokenizerReferenceTest.ids(expected.get("first_ids")));
        assertThat(whole.length).isEqualTo(expected.get("ids").asInt());
        assertThat(fnv1a64(whole)).isEqualTo(expected.get("ids_fnv1a64").asString());

        String[] lines = text.split("\n", -1);
        int[][] lineIds = new int[lines.length][];
        int total = 0;
        for (int i = 0; i < lines.length; i++) {
            lineIds[i] = tokenizer.encode(lines[i]);
            total += lineIds[i].length;
        }
        assertThat(lines.length).isEqualTo(expected.get("lines").asInt());
        assertThat(total).isEqualTo(expected.get("line_ids").asInt());
        assertThat(fnv1a64(lineIds)).isEqualTo(expected.get("line_ids_fnv1a64").asString());
        assertThat(tokenizer.decode(whole, false)).isEqualTo(text);
        System.out.printf("TokenizerHeldoutParityTest: %d ids (whole text) and %d lines exact%n", whole.length, lines.length);
    }
}
