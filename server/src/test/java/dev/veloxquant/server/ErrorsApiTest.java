package dev.veloxquant.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Every bad input gets the right 4xx in OpenAI's error shape, naming the parameter; never a 500. */
class ErrorsApiTest extends ApiTestBase {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            unknown parameter            | {"model":"fake-a","prompt":"x","foo":1}                          | foo
            temperature type             | {"model":"fake-a","prompt":"x","temperature":"hot"}              | temperature
            temperature range            | {"model":"fake-a","prompt":"x","temperature":3}                  | temperature
            top_p zero                   | {"model":"fake-a","prompt":"x","top_p":0}                        | top_p
            top_k type                   | {"model":"fake-a","prompt":"x","top_k":1.5}                      | top_k
            min_p range                  | {"model":"fake-a","prompt":"x","min_p":2}                        | min_p
            repetition_penalty zero      | {"model":"fake-a","prompt":"x","repetition_penalty":0}           | repetition_penalty
            presence_penalty range       | {"model":"fake-a","prompt":"x","presence_penalty":-3}            | presence_penalty
            frequency_penalty type       | {"model":"fake-a","prompt":"x","frequency_penalty":true}         | frequency_penalty
            seed type                    | {"model":"fake-a","prompt":"x","seed":"s"}                       | seed
            logit_bias key               | {"model":"fake-a","prompt":"x","logit_bias":{"abc":1}}           | logit_bias
            logit_bias id range          | {"model":"fake-a","prompt":"x","logit_bias":{"99999":1}}         | logit_bias
            logit_bias value range       | {"model":"fake-a","prompt":"x","logit_bias":{"5":101}}           | logit_bias.5
            stop type                    | {"model":"fake-a","prompt":"x","stop":5}                         | stop
            stop too many                | {"model":"fake-a","prompt":"x","stop":["a","b","c","d","e"]}     | stop
            stop empty                   | {"model":"fake-a","prompt":"x","stop":[""]}                      | stop
            n zero                       | {"model":"fake-a","prompt":"x","n":0}                            | n
            n too large                  | {"model":"fake-a","prompt":"x","n":99}                           | n
            stream type                  | {"model":"fake-a","prompt":"x","stream":"yes"}                   | stream
            stream_options without stream| {"model":"fake-a","prompt":"x","stream_options":{"include_usage":true}} | stream_options
            stream_options unknown       | {"model":"fake-a","prompt":"x","stream":true,"stream_options":{"x":1}} | stream_options.x
            user type                    | {"model":"fake-a","prompt":"x","user":5}                         | user
            model type                   | {"model":5,"prompt":"x"}                                         | model
            missing prompt               | {"model":"fake-a"}                                               | prompt
            empty prompt                 | {"model":"fake-a","prompt":""}                                   | prompt
            empty prompt array           | {"model":"fake-a","prompt":[]}                                   | prompt
            prompt type                  | {"model":"fake-a","prompt":{"a":1}}                              | prompt
            prompt mixed array           | {"model":"fake-a","prompt":["a",1]}                              | prompt
            prompt token out of vocab    | {"model":"fake-a","prompt":[1,100000]}                           | prompt
            negative max_tokens          | {"model":"fake-a","prompt":"x","max_tokens":-1}                  | max_tokens
            huge max_tokens              | {"model":"fake-a","prompt":"x","max_tokens":1000000}             | max_tokens
            max_tokens beyond long       | {"model":"fake-a","prompt":"x","max_tokens":1e30}                | max_tokens
            max_tokens fraction          | {"model":"fake-a","prompt":"x","max_tokens":2.5}                 | max_tokens
            logprobs range               | {"model":"fake-a","prompt":"x","logprobs":21}                    | logprobs
            echo type                    | {"model":"fake-a","prompt":"x","echo":1}                         | echo
            suffix unsupported           | {"model":"fake-a","prompt":"x","suffix":"y"}                     | suffix
            best_of unlike n             | {"model":"fake-a","prompt":"x","best_of":2}                      | best_of
            kv_cache unknown method      | {"model":"fake-a","prompt":"x","kv_cache":{"method":"zip"}}      | kv_cache.method
            kv_cache method type         | {"model":"fake-a","prompt":"x","kv_cache":{"method":4}}          | kv_cache.method
            kv_cache bits range          | {"model":"fake-a","prompt":"x","kv_cache":{"method":"commvq","bits":9}} | kv_cache.bits
            kv_cache bits for fp16       | {"model":"fake-a","prompt":"x","kv_cache":{"bits":4}}            | kv_cache.bits
            kv_cache residuals range     | {"model":"fake-a","prompt":"x","kv_cache":{"method":"turboquant","num_residuals":0}} | kv_cache.num_residuals
            kv_cache value_bits          | {"model":"fake-a","prompt":"x","kv_cache":{"method":"int4","value_bits":3}} | kv_cache.value_bits
            kv_cache group_size          | {"model":"fake-a","prompt":"x","kv_cache":{"group_size":48}}     | kv_cache.group_size
            kv_cache window_size         | {"model":"fake-a","prompt":"x","kv_cache":{"window_size":-1}}    | kv_cache.window_size
            kv_cache bits type           | {"model":"fake-a","prompt":"x","kv_cache":{"bits":"two"}}        | kv_cache.bits
            kv_cache codebook path       | {"model":"fake-a","prompt":"x","kv_cache":{"method":"commvq","codebook":"/etc/passwd"}} | kv_cache.codebook
            kv_cache codebook traversal  | {"model":"fake-a","prompt":"x","kv_cache":{"method":"commvq","codebook":"../x.bin"}} | kv_cache.codebook
            kv_cache codebook for int4   | {"model":"fake-a","prompt":"x","kv_cache":{"method":"int4","codebook":"none"}} | kv_cache.codebook
            kv_cache codebook missing    | {"model":"fake-a","prompt":"x","kv_cache":{"method":"commvq","codebook":"nope.bin"}} | kv_cache.codebook
            kv_cache codebook type       | {"model":"fake-a","prompt":"x","kv_cache":{"method":"commvq","codebook":7}} | kv_cache.codebook
            kv_cache unknown field       | {"model":"fake-a","prompt":"x","kv_cache":{"zip":true}}          | kv_cache.zip
            kv_cache type                | {"model":"fake-a","prompt":"x","kv_cache":7}                     | kv_cache
            """)
    void completionsBadInput(String name, String body, String param) {
        postError("/v1/completions", body, 400, param);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            missing messages             | {"model":"fake-a"}                                                       | messages
            empty messages               | {"model":"fake-a","messages":[]}                                         | messages
            messages type                | {"model":"fake-a","messages":"hi"}                                       | messages
            message type                 | {"model":"fake-a","messages":["hi"]}                                     | messages[0]
            missing role                 | {"model":"fake-a","messages":[{"content":"x"}]}                          | messages[0].role
            bad role                     | {"model":"fake-a","messages":[{"role":"robot","content":"x"}]}           | messages[0].role
            tool role                    | {"model":"fake-a","messages":[{"role":"tool","content":"x"}]}            | messages[0].role
            missing content              | {"model":"fake-a","messages":[{"role":"user"}]}                          | messages[0].content
            content type                 | {"model":"fake-a","messages":[{"role":"user","content":5}]}              | messages[0].content
            image part                   | {"model":"fake-a","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]} | messages[0].content[0].type
            message unknown field        | {"model":"fake-a","messages":[{"role":"user","content":"x","tool_calls":[]}]} | messages[0].tool_calls
            message name                 | {"model":"fake-a","messages":[{"role":"user","content":"x","name":"bob"}]} | messages[0].name
            tools                        | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]} | tools
            tool_choice                  | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"} | tool_choice
            response_format json         | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}} | response_format
            store true                   | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"store":true} | store
            top_logprobs without logprobs| {"model":"fake-a","messages":[{"role":"user","content":"x"}],"top_logprobs":2} | top_logprobs
            top_logprobs range           | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":21} | top_logprobs
            max_tokens zero              | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":0} | max_tokens
            max tokens disagree          | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_tokens":2,"max_completion_tokens":3} | max_tokens
            max_completion_tokens huge   | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"max_completion_tokens":600} | max_completion_tokens
            echo is completions only     | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"echo":true} | echo
            logprobs type                | {"model":"fake-a","messages":[{"role":"user","content":"x"}],"logprobs":2} | logprobs
            """)
    void chatBadInput(String name, String body, String param) {
        postError("/v1/chat/completions", body, 400, param);
    }

    @Test
    void tooLongPromptIsContextLengthExceeded() {
        String prompt = "a".repeat(600);
        JsonNode err = postError("/v1/completions", "{\"model\":\"fake-a\",\"prompt\":\"" + prompt + "\"}", 400, "prompt");
        assertThat(err.get("code").stringValue()).isEqualTo("context_length_exceeded");
        assertThat(err.get("message").stringValue()).contains("512");
        JsonNode chat = postError("/v1/chat/completions",
                "{\"model\":\"fake-a\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}", 400, "messages");
        assertThat(chat.get("code").stringValue()).isEqualTo("context_length_exceeded");
    }

    @Test
    void malformedJsonAndNonObjectBodies() {
        assertThat(postError("/v1/completions", "{\"model\": \"fake-a\", \"prompt\": ", 400, null)
                .get("code").stringValue()).isEqualTo("invalid_json");
        postError("/v1/completions", "[1,2]", 400, null);
        postError("/v1/completions", "", 400, null);
        postError("/v1/chat/completions", "{\"a\":1}{\"b\":2}", 400, null);
        postError("/v1/completions", "{\"model\":\"fake-a\",\"model\":\"fake-b\",\"prompt\":\"x\"}", 400, null);
    }

    @Test
    void unknownModelIs404() {
        JsonNode err = postError("/v1/completions", """
                {"model":"gpt-9","prompt":"x"}""", 404, "model");
        assertThat(err.get("code").stringValue()).isEqualTo("model_not_found");
        postError("/v1/chat/completions", """
                {"model":"gpt-9","messages":[{"role":"user","content":"x"}]}""", 404, "model");
    }

    @Test
    void wrongMethodIs405WithAllow() {
        byte[] body = client.get().uri("/v1/completions").exchange().expectStatus().isEqualTo(405)
                .expectHeader().valueEquals("Allow", "POST").expectBody().returnResult().getResponseBody();
        assertOpenAiError(body, null);
        byte[] body2 = client.post().uri("/v1/models").exchange().expectStatus().isEqualTo(405)
                .expectHeader().valueEquals("Allow", "GET").expectBody().returnResult().getResponseBody();
        assertOpenAiError(body2, null);
        client.delete().uri("/v1/chat/completions").exchange().expectStatus().isEqualTo(405);
    }

    @Test
    void unknownUrlIs404() {
        byte[] body = client.get().uri("/v1/embeddings").exchange().expectStatus().isNotFound()
                .expectBody().returnResult().getResponseBody();
        assertThat(assertOpenAiError(body, null).get("code").stringValue()).isEqualTo("unknown_url");
    }

    @Test
    void wrongContentTypeIs415() {
        byte[] body = client.post().uri("/v1/completions").contentType(MediaType.TEXT_PLAIN)
                .bodyValue("{\"prompt\":\"x\"}").exchange().expectStatus().isEqualTo(415)
                .expectBody().returnResult().getResponseBody();
        assertOpenAiError(body, null);
    }

    @Test
    void oversizedBodyIs413() {
        String big = "{\"model\":\"fake-a\",\"prompt\":\"" + "a".repeat(70_000) + "\"}";
        postError("/v1/completions", big, 413, null);
    }

    /**
     * The keep-alive trap: an error sent before the body was read must close the connection, or the
     * unread body would be taken for the next request.
     */
    @Test
    void errorBeforeTheBodyIsReadClosesTheConnection() throws Exception {
        String body = "{\"model\":\"fake-a\",\"prompt\":\"" + "a".repeat(70_000) + "\"}";
        String response = rawHttp("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(response).startsWith("HTTP/1.1 413");
        assertThat(response.toLowerCase()).contains("connection: close");
        assertThat(response).contains("\"request_too_large\"");

        String wrongType = "{\"prompt\":\"x\"}";
        String r415 = rawHttp("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + wrongType.length() + "\r\n\r\n" + wrongType);
        assertThat(r415).startsWith("HTTP/1.1 415");
        assertThat(r415.toLowerCase()).contains("connection: close");
    }

    @Test
    void errorAfterTheBodyWasReadKeepsTheConnection() throws Exception {
        String bad = "{\"model\":\"fake-a\",\"prompt\":\"x\",\"foo\":1}";
        String response = rawHttp("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bad.length() + "\r\n\r\n" + bad);
        assertThat(response).startsWith("HTTP/1.1 400");
        assertThat(response.toLowerCase()).doesNotContain("connection: close");
    }

    /** Sends one request on a fresh socket and reads the response head and the first body bytes. */
    private String rawHttp(String request) throws Exception {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[8192];
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline) {
                int n;
                try {
                    n = in.read(b);
                } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                    break;
                }
                if (n < 0) {
                    break;
                }
                buf.write(b, 0, n);
                String text = buf.toString(StandardCharsets.UTF_8);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd > 0 && text.indexOf("}}", headEnd) > 0) {
                    break;
                }
            }
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
