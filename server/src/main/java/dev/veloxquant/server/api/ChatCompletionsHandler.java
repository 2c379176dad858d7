package dev.veloxquant.server.api;

import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.chat.ChatMessage;
import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.generation.ChoicePlan;
import dev.veloxquant.server.generation.GenerationEvent;
import dev.veloxquant.server.generation.GenerationJob;
import dev.veloxquant.server.generation.GenerationScheduler;
import dev.veloxquant.server.model.ServedModel;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code POST /v1/chat/completions}: chat through the model's chat template, streamed or not. */
@Component
public class ChatCompletionsHandler {
    static final Set<String> NAMES;
    /** OpenAI parameters this server knows but cannot honour: set to anything but null, they are a 400. */
    static final Set<String> UNSUPPORTED = Set.of("tools", "functions", "function_call", "parallel_tool_calls",
            "audio", "modalities", "prediction", "reasoning_effort", "web_search_options", "service_tier", "metadata",
            "verbosity");

    static {
        Set<String> s = new HashSet<>(GenerationParams.NAMES);
        s.addAll(Set.of("messages", "max_tokens", "max_completion_tokens", "logprobs", "top_logprobs",
                "response_format", "tool_choice", "store"));
        s.addAll(UNSUPPORTED);
        NAMES = Set.copyOf(s);
    }

    static final int MAX_TOP_LOGPROBS = 20;

    private final RequestBodies bodies;
    private final ModelResolver models;
    private final GenerationScheduler scheduler;
    private final ApiJson json;
    private final int maxN;

    public ChatCompletionsHandler(RequestBodies bodies, ModelResolver models, GenerationScheduler scheduler,
                                  ApiJson json, VeloxQuantProperties props) {
        this.bodies = bodies;
        this.models = models;
        this.scheduler = scheduler;
        this.json = json;
        this.maxN = props.limits().maxN();
    }

    /** @param topLogprobs -1 without logprobs */
    record Plan(ServedModel model, GenerationParams params, int promptTokens, int topLogprobs, List<ChoicePlan> choices) {
    }

    public Mono<ServerResponse> handle(ServerRequest request) {
        long arrival = System.nanoTime();
        return bodies.readJson(request).flatMap(r -> {
            Plan plan = plan(r, models.resolve(r, request.exchange()));
            Flux<GenerationEvent> events = scheduler.run(new GenerationJob(plan.model(), "chat", plan.choices(), arrival))
                    .takeUntilOther(ClientConnection.closed(request));
            String id = OpenAiFormat.newId("chatcmpl-");
            long created = OpenAiFormat.nowSeconds();
            return plan.params().stream()
                    ? OpenAiFormat.sse(json, stream(plan, events, id, created))
                    : events.ofType(GenerationEvent.ChoiceDone.class).collectList()
                    .flatMap(done -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(json.bytes(response(plan, done, id, created))));
        });
    }

    Plan plan(JsonRequest r, ServedModel model) {
        r.rejectUnknown(NAMES);
        for (String name : UNSUPPORTED) {
            r.rejectUnsupported(name, name.contains("function") || name.contains("tool")
                    ? "tool and function calling are not available" : null);
        }
        String toolChoice = r.raw("tool_choice") == null ? null
                : r.raw("tool_choice").isString() ? r.string("tool_choice") : "object";
        if (toolChoice != null && !toolChoice.equals("none")) {
            throw ApiErrors.unsupported("tool_choice", "tool calling is not available (only \"none\")");
        }
        Boolean store = r.bool("store");
        if (Boolean.TRUE.equals(store)) {
            throw ApiErrors.unsupported("store", "completions are never stored");
        }
        JsonRequest format = r.object("response_format");
        if (format != null) {
            format.rejectUnknown(Set.of("type"));
            String type = format.string("type");
            if (!"text".equals(type)) {
                throw ApiErrors.unsupported("response_format", "only {\"type\": \"text\"}");
            }
        }
        GenerationParams params = GenerationParams.parse(r, model, maxN);
        List<ChatMessage> messages = messages(r);
        String rendered;
        try {
            rendered = model.model().chatTemplate().render(messages, true);
        } catch (RuntimeException e) {
            throw ApiErrors.invalid("messages", "The model's chat template rejected the messages: " + e.getMessage());
        }
        int[] prompt = model.model().tokenizer().encode(rendered);

        Integer maxTokens = r.integer("max_tokens", 1, Integer.MAX_VALUE);
        Integer maxCompletion = r.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens != null && maxCompletion != null && !maxTokens.equals(maxCompletion)) {
            throw ApiErrors.invalid("max_tokens", "'max_tokens' and 'max_completion_tokens' disagree ("
                    + maxTokens + " vs " + maxCompletion + "); send only max_completion_tokens.");
        }
        Integer requested = maxCompletion != null ? maxCompletion : maxTokens;
        String requestedParam = maxCompletion != null ? "max_completion_tokens" : "max_tokens";
        int context = model.model().contextLength();
        if (prompt.length >= context) {
            throw ApiErrors.contextLength("messages", context, prompt.length, requested == null ? 1 : requested);
        }
        if (requested != null && prompt.length + requested > context) {
            throw ApiErrors.contextLength(requestedParam, context, prompt.length, requested);
        }
        int max = requested != null ? requested : context - prompt.length;

        boolean logprobs = r.bool("logprobs", false);
        Integer top = r.integer("top_logprobs", 0, MAX_TOP_LOGPROBS);
        if (top != null && !logprobs) {
            throw ApiErrors.invalid("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
        }
        int topLogprobs = logprobs ? (top == null ? 0 : top) : -1;

        List<ChoicePlan> choices = new ArrayList<>();
        for (int i = 0; i < params.n(); i++) {
            choices.add(new ChoicePlan(i, 0, new GenerationRequest(prompt, params.samplingFor(i), max, params.stop(),
                    params.stopTokenIds(), params.ignoreEos(), topLogprobs, false, params.kvCache())));
        }
        return new Plan(model, params, prompt.length, topLogprobs, choices);
    }

    static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name");

    static List<ChatMessage> messages(JsonRequest r) {
        JsonNode raw = r.raw("messages");
        if (raw == null) {
            throw ApiErrors.missing("messages");
        }
        if (!raw.isArray()) {
            throw ApiErrors.wrongType("messages", "an array of messages");
        }
        if (raw.isEmpty()) {
            throw ApiErrors.invalid("messages", "'messages' must contain at least one message.");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = raw.get(i);
            if (!(m instanceof ObjectNode o)) {
                throw ApiErrors.wrongType(where, "a message object");
            }
            JsonRequest msg = new JsonRequest(o, where + ".");
            msg.rejectUnknown(MESSAGE_FIELDS);
            msg.rejectUnsupported("name", "participant names are not part of the chat template");
            String role = msg.string("role");
            if (role == null) {
                throw ApiErrors.missing(where + ".role");
            }
            role = switch (role) {
                case "system", "developer" -> "system";
                case "user", "assistant" -> role;
                case "tool", "function" -> throw ApiErrors.unsupported(where + ".role", "tool messages need tool calling, which is not available");
                default -> throw ApiErrors.invalid(where + ".role", "'" + where + ".role' must be system, developer, user or assistant, got '" + role + "'.");
            };
            out.add(new ChatMessage(role, content(msg, where)));
        }
        return out;
    }

    /** A string, or text parts joined by newlines (as vLLM does). */
    private static String content(JsonRequest msg, String where) {
        JsonNode c = msg.raw("content");
        if (c == null) {
            throw ApiErrors.missing(where + ".content");
        }
        if (c.isString()) {
            return c.stringValue();
        }
        if (!c.isArray()) {
            throw ApiErrors.wrongType(where + ".content", "a string or an array of text parts");
        }
        List<String> texts = new ArrayList<>();
        for (int j = 0; j < c.size(); j++) {
            String pw = where + ".content[" + j + "]";
            if (!(c.get(j) instanceof ObjectNode po)) {
                throw ApiErrors.wrongType(pw, "a content part object");
            }
            JsonRequest part = new JsonRequest(po, pw + ".");
            String type = part.string("type");
            if (!"text".equals(type)) {
                throw ApiErrors.unsupported(pw + ".type", "only text parts, got '" + type + "'");
            }
            part.rejectUnknown(Set.of("type", "text"));
            String text = part.string("text");
            if (text == null) {
                throw ApiErrors.missing(pw + ".text");
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }

    private ObjectNode response(Plan plan, List<GenerationEvent.ChoiceDone> done, String id, long created) {
        List<GenerationEvent.ChoiceDone> sorted = new ArrayList<>(done);
        sorted.sort(Comparator.comparingInt(GenerationEvent.ChoiceDone::choice));
        ObjectNode root = header(plan, id, created, "chat.completion");
        ArrayNode choices = root.putArray("choices");
        List<GenerationResult> results = new ArrayList<>();
        for (GenerationEvent.ChoiceDone d : sorted) {
            GenerationResult res = d.result();
            results.add(res);
            ObjectNode c = choices.addObject();
            c.put("index", d.choice());
            ObjectNode message = c.putObject("message");
            message.put("role", "assistant");
            message.put("content", res.text());
            message.putNull("refusal");
            if (plan.topLogprobs() < 0) {
                c.putNull("logprobs");
            } else {
                ObjectNode lp = c.putObject("logprobs");
                ArrayNode content = lp.putArray("content");
                for (int i = 0; i < res.tokenLogprobs().size(); i++) {
                    content.add(OpenAiFormat.chatLogprob(json, res.tokenLogprobs().get(i),
                            i < res.topLogprobs().size() ? res.topLogprobs().get(i) : List.of()));
                }
                lp.putNull("refusal");
            }
            c.put("finish_reason", res.finishReason().openAiName());
        }
        root.set("usage", OpenAiFormat.usage(json, plan.promptTokens(),
                results.stream().mapToInt(GenerationResult::completionTokens).sum(), plan.params().kvCache(),
                OpenAiFormat.sum(results)));
        return root;
    }

    private ObjectNode header(Plan plan, String id, long created, String object) {
        ObjectNode c = json.object();
        c.put("id", id);
        c.put("object", object);
        c.put("created", created);
        c.put("model", plan.model().id());
        c.put("system_fingerprint", OpenAiFormat.SYSTEM_FINGERPRINT);
        return c;
    }

    private Flux<ObjectNode> stream(Plan plan, Flux<GenerationEvent> events, String id, long created) {
        Map<Integer, StringBuilder> streamed = new HashMap<>();
        List<GenerationResult> results = new ArrayList<>();
        Flux<ObjectNode> body = events.concatMapIterable(event -> switch (event) {
            case GenerationEvent.Started s -> {
                List<ObjectNode> out = new ArrayList<>();
                for (ChoicePlan c : plan.choices()) {
                    ObjectNode delta = json.object();
                    delta.put("role", "assistant");
                    delta.put("content", "");
                    out.add(chunk(plan, id, created, c.index(), delta, null, null));
                }
                yield out;
            }
            case GenerationEvent.Token t -> {
                GeneratedToken g = t.token();
                streamed.computeIfAbsent(t.choice(), k -> new StringBuilder()).append(g.textDelta());
                boolean withLogprobs = plan.topLogprobs() >= 0 && g.logprob() != null;
                if (g.textDelta().isEmpty() && !withLogprobs) {
                    yield List.of();
                }
                ObjectNode delta = json.object();
                delta.put("content", g.textDelta());
                ObjectNode lp = null;
                if (withLogprobs) {
                    lp = json.object();
                    lp.putArray("content").add(OpenAiFormat.chatLogprob(json, g.logprob(), g.topLogprobs()));
                    lp.putNull("refusal");
                }
                yield List.of(chunk(plan, id, created, t.choice(), delta, lp, null));
            }
            case GenerationEvent.ChoiceDone d -> {
                results.add(d.result());
                List<ObjectNode> out = new ArrayList<>();
                String sent = streamed.getOrDefault(d.choice(), new StringBuilder()).toString();
                String full = d.result().text();
                if (full.length() > sent.length() && full.startsWith(sent)) {
                    ObjectNode delta = json.object();
                    delta.put("content", full.substring(sent.length()));
                    out.add(chunk(plan, id, created, d.choice(), delta, null, null));
                }
                ObjectNode last = chunk(plan, id, created, d.choice(), json.object(), null,
                        d.result().finishReason().openAiName());
                last.set("usage", OpenAiFormat.usage(json, plan.promptTokens(), d.result().completionTokens(),
                        plan.params().kvCache(), d.result().kvCache()));
                out.add(last);
                yield out;
            }
        });
        if (!plan.params().includeUsage()) {
            return body;
        }
        return body.concatWith(Mono.fromSupplier(() -> {
            ObjectNode u = header(plan, id, created, "chat.completion.chunk");
            u.putArray("choices");
            u.set("usage", OpenAiFormat.usage(json, plan.promptTokens(),
                    results.stream().mapToInt(GenerationResult::completionTokens).sum(), plan.params().kvCache(),
                    OpenAiFormat.sum(results)));
            return u;
        }));
    }

    private ObjectNode chunk(Plan plan, String id, long created, int index, ObjectNode delta, ObjectNode logprobs,
                             String finishReason) {
        ObjectNode c = header(plan, id, created, "chat.completion.chunk");
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return c;
    }
}
