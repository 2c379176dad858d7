package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/** Loading from a model directory: bos/eos from the config files, add-BOS behaviour, clear failures. */
class TokenizerLoadTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private void write(String file, String text) throws IOException {
        Files.writeString(dir.resolve(file), text);
    }

    private HfTokenizer llama3Dir(String tokenizerConfig, String generationConfig, String config) throws IOException {
        write("tokenizer.json", TokenizerReferenceTest.resource("llama3.tokenizer.json"));
        write("tokenizer_config.json", tokenizerConfig);
        write("generation_config.json", generationConfig);
        write("config.json", config);
        return HfTokenizer.load(dir);
    }

    @Test
    void readsBosAndEosFromAllConfigFiles() throws IOException {
        HfTokenizer t = llama3Dir(
                "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": {\"content\": \"<|eot_id|>\", \"special\": true}}",
                "{\"bos_token_id\": 706, \"eos_token_id\": [707, 710]}",
                "{\"bos_token_id\": 706, \"eos_token_id\": 707}");
        int bos = t.encode("<|begin_of_text|>")[0];
        int eot = t.encode("<|eot_id|>")[0];
        assertThat(t.bosId()).hasValue(bos);
        assertThat(eot).isEqualTo(710);
        assertThat(t.eosIds()).containsExactlyInAnyOrder(707, 710);
        assertThat(t.addsBos()).isTrue();
        assertThat(t.isSpecial(eot)).isTrue();
        assertThat(t.isSpecial(t.encode("a")[0])).isFalse();
        assertThat(t.specialTokenStrings()).containsEntry("eos_token", "<|eot_id|>").containsEntry("bos_token", "<|begin_of_text|>");
        assertThat(t.encodeWithSpecialTokens("hi")[0]).isEqualTo(bos);
        assertThat(t.encode("hi")[0]).isNotEqualTo(bos);
    }

    @Test
    void bosMayBeNullAndEosAList() throws IOException {
        write("tokenizer.json", TokenizerReferenceTest.resource("qwen2.tokenizer.json"));
        write("tokenizer_config.json", "{\"bos_token\": null, \"eos_token\": \"<|im_end|>\"}");
        write("config.json", "{\"bos_token_id\": null, \"eos_token_id\": [676, 678]}");
        HfTokenizer t = HfTokenizer.load(dir);
        assertThat(t.bosId()).isEmpty();
        assertThat(t.addsBos()).isFalse();
        assertThat(t.eosIds()).containsExactlyInAnyOrder(676, 678).contains(t.encode("<|im_end|>")[0]);
    }

    @Test
    void llamaTokenizerClassFollowsAddBosToken() throws IOException {
        HfTokenizer t = llama3Dir("{\"tokenizer_class\": \"LlamaTokenizerFast\", \"add_bos_token\": false, \"bos_token\": \"<|begin_of_text|>\"}", "{}", "{}");
        assertThat(t.addsBos()).isFalse();
        assertThat(t.encodeWithSpecialTokens("hi")).isEqualTo(t.encode("hi"));
    }

    @Test
    void tokenBytesAreTheRawBytesOfEachToken() throws IOException {
        HfTokenizer gpt2 = HfTokenizer.fromJson(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        int the = gpt2.encode(" the")[0];
        assertThat(gpt2.tokenString(the)).isEqualTo("Ġthe");
        assertThat(new String(gpt2.tokenBytes(the), StandardCharsets.UTF_8)).isEqualTo(" the");
        HfTokenizer llama2 = HfTokenizer.fromJson(TokenizerReferenceTest.resource("llama2.tokenizer.json"));
        int[] ids = llama2.encode("the");
        assertThat(llama2.tokenString(ids[0])).startsWith("▁");
        assertThat(new String(llama2.tokenBytes(ids[0]), StandardCharsets.UTF_8)).startsWith(" ");
        int fallback = llama2.encode("ＦＵＬＬ")[1];
        assertThat(llama2.tokenString(fallback)).matches("<0x[0-9A-F]{2}>");
        assertThat(llama2.tokenBytes(fallback)).hasSize(1);
        assertThatThrownBy(() -> gpt2.tokenBytes(gpt2.vocabSize())).hasMessageContaining("not in the vocabulary");
    }

    @Test
    void missingTokenizerJsonIsNamed() {
        assertThatThrownBy(() -> HfTokenizer.load(dir)).hasMessageContaining("no tokenizer.json");
    }

    private static String withComponent(String field, String json) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        root.set(field, JSON.readTree(json));
        return JSON.writeValueAsString(root);
    }

    @Test
    void unsupportedComponentsFailAtLoadNamingThem() throws IOException {
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("pre_tokenizer", "{\"type\": \"BertPreTokenizer\"}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("pre_tokenizer type 'BertPreTokenizer'");
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("normalizer", "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("normalizer type 'Precompiled'");
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("decoder", "{\"type\": \"WordPiece\"}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("decoder type 'WordPiece'");
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("post_processor", "{\"type\": \"Unknown\"}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("post_processor type 'Unknown'");
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("model", "{\"type\": \"Unigram\", \"vocab\": []}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("model type 'Unigram'");
        assertThatThrownBy(() -> HfTokenizer.fromJson(withComponent("pre_tokenizer",
                "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(?<name>a)\\\\k<name\"}, \"behavior\": \"Isolated\"}")))
                .isInstanceOf(UnsupportedTokenizerException.class).hasMessageContaining("regex");
    }

    @Test
    void mergeNamingAnUnknownTokenIsReported() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(TokenizerReferenceTest.resource("gpt2.tokenizer.json"));
        ((tools.jackson.databind.node.ArrayNode) root.get("model").get("merges")).add("zzzq qqqz");
        assertThatThrownBy(() -> HfTokenizer.fromJson(JSON.writeValueAsString(root))).hasMessageContaining("'zzzq', which is not in the vocab");
    }
}
