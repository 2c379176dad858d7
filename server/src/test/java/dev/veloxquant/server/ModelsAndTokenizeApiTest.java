package dev.veloxquant.server;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class ModelsAndTokenizeApiTest extends ApiTestBase {

    @Test
    void listsLoadedModelsWithContextAndKvDefaults() {
        JsonNode r = JSON.readTree(client.get().uri("/v1/models").exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());
        assertThat(r.get("object").stringValue()).isEqualTo("list");
        assertThat(r.get("data")).extracting(m -> m.get("id").stringValue()).containsExactly("fake-a", "fake-b");
        JsonNode b = r.get("data").get(1);
        assertThat(b.get("object").stringValue()).isEqualTo("model");
        assertThat(b.get("owned_by").stringValue()).isEqualTo("veloxquant");
        assertThat(b.get("created").longValue()).isPositive();
        assertThat(b.get("max_model_len").intValue()).isEqualTo(512);
        assertThat(b.get("kv_cache").get("group_size").intValue()).isEqualTo(64);
    }

    @Test
    void getsOneModelAndAnswers404ForUnknown() {
        JsonNode r = JSON.readTree(client.get().uri("/v1/models/fake-b").exchange().expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());
        assertThat(r.get("id").stringValue()).isEqualTo("fake-b");
        byte[] err = client.get().uri("/v1/models/nope").exchange().expectStatus().isNotFound()
                .expectBody().returnResult().getResponseBody();
        assertThat(assertOpenAiError(err, "model").get("code").stringValue()).isEqualTo("model_not_found");
    }

    @Test
    void tokenizesPromptsAndMessagesAndDetokenizes() {
        JsonNode t = postOk("/v1/tokenize", """
                {"model":"fake-a","prompt":"Hi","return_token_strs":true}""");
        assertThat(t.get("tokens")).extracting(JsonNode::intValue).containsExactly(256, 72, 105);
        assertThat(t.get("count").intValue()).isEqualTo(3);
        assertThat(t.get("max_model_len").intValue()).isEqualTo(512);
        assertThat(t.get("token_strs")).extracting(JsonNode::stringValue).containsExactly("<s>", "H", "i");

        JsonNode plain = postOk("/v1/tokenize", """
                {"prompt":"Hi","add_special_tokens":false}""");
        assertThat(plain.get("tokens")).extracting(JsonNode::intValue).containsExactly(72, 105);

        JsonNode chat = postOk("/v1/tokenize", """
                {"model":"fake-a","messages":[{"role":"user","content":"x"}]}""");
        // <|im_start|> user \n x <|im_end|> \n <|im_start|> assistant \n
        assertThat(chat.get("count").intValue()).isEqualTo(1 + 4 + 1 + 1 + 1 + 1 + 1 + 9 + 1);

        JsonNode d = postOk("/v1/detokenize", """
                {"model":"fake-a","tokens":[256,72,105]}""");
        assertThat(d.get("prompt").stringValue()).isEqualTo("<s>Hi");
        JsonNode skip = postOk("/v1/detokenize", """
                {"tokens":[256,72,105],"skip_special_tokens":true}""");
        assertThat(skip.get("prompt").stringValue()).isEqualTo("Hi");
    }

    @Test
    void tokenizeErrorsNameTheParameter() {
        postError("/v1/tokenize", """
                {"model":"fake-a"}""", 400, "prompt");
        postError("/v1/tokenize", """
                {"model":"fake-a","prompt":"x","messages":[]}""", 400, "messages");
        postError("/v1/tokenize", """
                {"model":"fake-a","prompt":5}""", 400, "prompt");
        postError("/v1/detokenize", """
                {"model":"fake-a","tokens":[1,99999]}""", 400, "tokens");
        postError("/v1/detokenize", """
                {"model":"fake-a","tokens":"abc"}""", 400, "tokens");
        postError("/v1/detokenize", """
                {"model":"fake-a"}""", 400, "tokens");
        postError("/v1/tokenize", """
                {"model":"fake-a","prompt":"x","extra":1}""", 400, "extra");
    }

    @Test
    void portFileNamesTheListeningPort() throws Exception {
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("target/api-test-server.port")))
                .isEqualTo(Integer.toString(port));
    }

    @Test
    void healthLivenessAndReadinessAreUpOnceModelsLoaded() {
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
        client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP")
                .jsonPath("$.components.models.details.fake-a").isEqualTo("READY");
    }
}
