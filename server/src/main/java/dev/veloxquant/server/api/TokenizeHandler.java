package dev.veloxquant.server.api;

import dev.veloxquant.engine.chat.ChatMessage;
import dev.veloxquant.engine.tokenizer.TextTokenizer;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.model.ServedModel;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/tokenize} and {@code POST /v1/detokenize}, shaped like vLLM's: the exact tokens a
 * completion or chat request would feed the model, and text back from ids.
 */
@Component
public class TokenizeHandler {
    static final Set<String> TOKENIZE = Set.of("model", "prompt", "messages", "add_special_tokens",
            "add_generation_prompt", "return_token_strs");
    static final Set<String> DETOKENIZE = Set.of("model", "tokens", "skip_special_tokens");

    private final RequestBodies bodies;
    private final ModelResolver models;
    private final ApiJson json;

    public TokenizeHandler(RequestBodies bodies, ModelResolver models, ApiJson json) {
        this.bodies = bodies;
        this.models = models;
        this.json = json;
    }

    public Mono<ServerResponse> tokenize(ServerRequest request) {
        return bodies.readJson(request).flatMap(r -> {
            ServedModel model = models.resolve(r, request.exchange());
            r.rejectUnknown(TOKENIZE);
            TextTokenizer tok = model.model().tokenizer();
            boolean hasPrompt = r.has("prompt");
            boolean hasMessages = r.has("messages");
            if (hasPrompt == hasMessages) {
                throw ApiErrors.invalid(hasPrompt ? "messages" : "prompt", "Send exactly one of 'prompt' and 'messages'.");
            }
            int[] ids;
            if (hasPrompt) {
                if (r.has("add_generation_prompt")) {
                    throw ApiErrors.invalid("add_generation_prompt", "'add_generation_prompt' applies to 'messages' only.");
                }
                String prompt = r.string("prompt");
                ids = tok.encode(prompt);
                if (r.bool("add_special_tokens", true) && tok.addsBos() && tok.bosId().isPresent()) {
                    int[] with = new int[ids.length + 1];
                    with[0] = tok.bosId().getAsInt();
                    System.arraycopy(ids, 0, with, 1, ids.length);
                    ids = with;
                }
            } else {
                if (r.has("add_special_tokens")) {
                    throw ApiErrors.invalid("add_special_tokens", "'add_special_tokens' applies to 'prompt' only; "
                            + "the chat template places the special tokens of 'messages'.");
                }
                List<ChatMessage> messages = ChatCompletionsHandler.messages(r);
                ids = tok.encode(model.model().chatTemplate().render(messages, r.bool("add_generation_prompt", true)));
            }
            ObjectNode out = json.object();
            out.put("model", model.id());
            ArrayNode tokens = out.putArray("tokens");
            for (int id : ids) {
                tokens.add(id);
            }
            out.put("count", ids.length);
            out.put("max_model_len", model.model().contextLength());
            if (r.bool("return_token_strs", false)) {
                ArrayNode strs = out.putArray("token_strs");
                for (int id : ids) {
                    strs.add(tok.tokenString(id));
                }
            }
            return ok(out);
        });
    }

    public Mono<ServerResponse> detokenize(ServerRequest request) {
        return bodies.readJson(request).flatMap(r -> {
            ServedModel model = models.resolve(r, request.exchange());
            r.rejectUnknown(DETOKENIZE);
            if (!r.has("tokens")) {
                throw ApiErrors.missing("tokens");
            }
            int[] ids = GenerationParams.tokenArray(r, "tokens", model.model().vocabSize());
            ObjectNode out = json.object();
            out.put("model", model.id());
            out.put("prompt", model.model().tokenizer().decode(ids, r.bool("skip_special_tokens", false)));
            return ok(out);
        });
    }

    private Mono<ServerResponse> ok(ObjectNode body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(json.bytes(body));
    }
}
