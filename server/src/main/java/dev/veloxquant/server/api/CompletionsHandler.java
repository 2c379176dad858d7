package dev.veloxquant.server.api;

import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.TokenLogprob;
import dev.veloxquant.engine.tokenizer.TextTokenizer;
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

/** {@code POST /v1/completions}: OpenAI's legacy text completions, streamed or not. */
@Component
public class CompletionsHandler {
    static final Set<String> NAMES;

    static {
        Set<String> s = new HashSet<>(GenerationParams.NAMES);
        s.addAll(Set.of("prompt", "max_tokens", "logprobs", "echo", "suffix", "best_of"));
        NAMES = Set.copyOf(s);
    }

    static final int DEFAULT_MAX_TOKENS = 16;
    static final int MAX_LOGPROBS = 20;

    private final RequestBodies bodies;
    private final ModelResolver models;
    private final GenerationScheduler scheduler;
    private final ApiJson json;
    private final int maxN;

    public CompletionsHandler(RequestBodies bodies, ModelResolver models, GenerationScheduler scheduler, ApiJson json,
                              VeloxQuantProperties props) {
        this.bodies = bodies;
        this.models = models;
        this.scheduler = scheduler;
        this.json = json;
        this.maxN = props.limits().maxN();
    }

    /** A prompt as the model sees it, and as echo shows it. */
    record Prompt(int[] tokens, String echoText, boolean addedBos) {
    }

    record Plan(ServedModel model, GenerationParams params, List<Prompt> prompts, int maxTokens, Integer logprobs,
                boolean echo, List<ChoicePlan> choices) {
        Prompt promptOf(int choice) {
            return prompts.get(choice / params.n());
        }
    }

    public Mono<ServerResponse> handle(ServerRequest request) {
        long arrival = System.nanoTime();
        return bodies.readJson(request).flatMap(r -> {
            Plan plan = plan(r, models.resolve(r, request.exchange()));
            Flux<GenerationEvent> events = scheduler.run(new GenerationJob(plan.model(), "completions", plan.choices(), arrival))
                    .takeUntilOther(ClientConnection.closed(request));
            String id = OpenAiFormat.newId("cmpl-");
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
        r.rejectUnsupported("suffix", "insertion (fill-in-the-middle) is not available");
        GenerationParams params = GenerationParams.parse(r, model, maxN);
        Integer bestOf = r.integer("best_of", 1, maxN);
        if (bestOf != null && bestOf != params.n()) {
            throw ApiErrors.unsupported("best_of", "only best_of equal to n (every candidate is returned)");
        }
        List<Prompt> prompts = prompts(r, model);
        Integer maxTokensRaw = r.integer("max_tokens", 0, Integer.MAX_VALUE);
        int maxTokens = maxTokensRaw == null ? DEFAULT_MAX_TOKENS : maxTokensRaw;
        int context = model.model().contextLength();
        for (Prompt p : prompts) {
            if (p.tokens().length >= context && maxTokens > 0 || p.tokens().length > context) {
                throw ApiErrors.contextLength("prompt", context, p.tokens().length, maxTokens);
            }
            if (p.tokens().length + maxTokens > context) {
                throw ApiErrors.contextLength(maxTokensRaw == null ? "prompt" : "max_tokens", context,
                        p.tokens().length, maxTokens);
            }
        }
        Integer logprobs = r.integer("logprobs", 0, MAX_LOGPROBS);
        boolean echo = r.bool("echo", false);
        List<ChoicePlan> choices = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            for (int i = 0; i < params.n(); i++) {
                int index = p * params.n() + i;
                choices.add(new ChoicePlan(index, p, new GenerationRequest(prompts.get(p).tokens(),
                        params.samplingFor(index), maxTokens, params.stop(), params.stopTokenIds(), params.ignoreEos(),
                        logprobs == null ? -1 : logprobs, echo && logprobs != null, params.kvCache())));
            }
        }
        return new Plan(model, params, prompts, maxTokens, logprobs, echo, choices);
    }

    private static List<Prompt> prompts(JsonRequest r, ServedModel model) {
        JsonNode p = r.raw("prompt");
        if (p == null) {
            throw ApiErrors.missing("prompt");
        }
        TextTokenizer tok = model.model().tokenizer();
        int vocab = model.model().vocabSize();
        List<Prompt> out = new ArrayList<>();
        String expected = "a string, an array of strings, an array of token ids or an array of token-id arrays";
        if (p.isString()) {
            out.add(textPrompt(p.stringValue(), tok));
        } else if (p.isArray()) {
            if (p.isEmpty()) {
                throw ApiErrors.invalid("prompt", "'prompt' must not be empty.");
            }
            JsonNode first = p.get(0);
            if (first.isString()) {
                for (JsonNode e : p) {
                    if (!e.isString()) {
                        throw ApiErrors.wrongType("prompt", expected);
                    }
                    out.add(textPrompt(e.stringValue(), tok));
                }
            } else if (first.isNumber()) {
                out.add(tokenPrompt(p, tok, vocab));
            } else if (first.isArray()) {
                for (JsonNode e : p) {
                    if (!e.isArray()) {
                        throw ApiErrors.wrongType("prompt", expected);
                    }
                    out.add(tokenPrompt(e, tok, vocab));
                }
            } else {
                throw ApiErrors.wrongType("prompt", expected);
            }
        } else {
            throw ApiErrors.wrongType("prompt", expected);
        }
        return out;
    }

    private static Prompt textPrompt(String text, TextTokenizer tok) {
        if (text.isEmpty()) {
            throw ApiErrors.invalid("prompt", "'prompt' must not be empty.");
        }
        int[] ids = tok.encode(text);
        boolean bos = tok.addsBos() && tok.bosId().isPresent();
        if (bos) {
            int[] with = new int[ids.length + 1];
            with[0] = tok.bosId().getAsInt();
            System.arraycopy(ids, 0, with, 1, ids.length);
            ids = with;
        }
        return new Prompt(ids, text, bos);
    }

    private static Prompt tokenPrompt(JsonNode array, TextTokenizer tok, int vocab) {
        if (array.isEmpty()) {
            throw ApiErrors.invalid("prompt", "'prompt' must not be empty.");
        }
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            long id = JsonRequest.integral(array.get(i), "prompt");
            if (id < 0 || id >= vocab) {
                throw ApiErrors.invalid("prompt", "'prompt' token id " + id + " is outside the vocabulary (0.."
                        + (vocab - 1) + ").");
            }
            ids[i] = (int) id;
        }
        return new Prompt(ids, tok.decode(ids, false), false);
    }

    private ObjectNode response(Plan plan, List<GenerationEvent.ChoiceDone> done, String id, long created) {
        List<GenerationEvent.ChoiceDone> sorted = new ArrayList<>(done);
        sorted.sort(Comparator.comparingInt(GenerationEvent.ChoiceDone::choice));
        ObjectNode root = json.object();
        root.put("id", id);
        root.put("object", "text_completion");
        root.put("created", created);
        root.put("model", plan.model().id());
        root.put("system_fingerprint", OpenAiFormat.SYSTEM_FINGERPRINT);
        ArrayNode choices = root.putArray("choices");
        List<GenerationResult> results = new ArrayList<>();
        for (GenerationEvent.ChoiceDone d : sorted) {
            GenerationResult res = d.result();
            results.add(res);
            Prompt prompt = plan.promptOf(d.choice());
            ObjectNode c = choices.addObject();
            c.put("index", d.choice());
            c.put("text", (plan.echo() ? prompt.echoText() : "") + res.text());
            if (plan.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                c.set("logprobs", logprobs(plan, prompt, res));
            }
            c.put("finish_reason", res.finishReason().openAiName());
        }
        root.set("usage", OpenAiFormat.usage(json, promptTokens(plan), completionTokens(results),
                plan.params().kvCache(), OpenAiFormat.sum(results)));
        return root;
    }

    private static int promptTokens(Plan plan) {
        return plan.prompts().stream().mapToInt(p -> p.tokens().length).sum();
    }

    private static int completionTokens(List<GenerationResult> results) {
        return results.stream().mapToInt(GenerationResult::completionTokens).sum();
    }

    /** {@code {tokens, token_logprobs, top_logprobs, text_offset}}, the prompt's tokens first when echoed. */
    private ObjectNode logprobs(Plan plan, Prompt prompt, GenerationResult res) {
        ObjectNode lp = json.object();
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode tokenLogprobs = lp.putArray("token_logprobs");
        ArrayNode top = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        TextTokenizer tok = plan.model().model().tokenizer();
        int offset = 0;
        if (plan.echo()) {
            List<TokenLogprob> promptLps = res.promptLogprobs();
            for (int i = prompt.addedBos() ? 1 : 0; i < prompt.tokens().length; i++) {
                TokenLogprob t = i < promptLps.size() ? promptLps.get(i) : null;
                String text = t != null ? t.text() : tok.decode(new int[]{prompt.tokens()[i]}, false);
                tokens.add(text);
                if (t == null) {
                    tokenLogprobs.addNull();
                    top.addNull();
                } else {
                    tokenLogprobs.add(t.logprob());
                    top.add(OpenAiFormat.topLogprobMap(json, t, List.of()));
                }
                offsets.add(offset);
                offset += text.length();
            }
        }
        List<TokenLogprob> chosen = res.tokenLogprobs();
        for (int i = 0; i < chosen.size(); i++) {
            TokenLogprob t = chosen.get(i);
            tokens.add(t.text());
            tokenLogprobs.add(t.logprob());
            top.add(OpenAiFormat.topLogprobMap(json, t, i < res.topLogprobs().size() ? res.topLogprobs().get(i) : List.of()));
            offsets.add(offset);
            offset += t.text().length();
        }
        return lp;
    }

    private Flux<ObjectNode> stream(Plan plan, Flux<GenerationEvent> events, String id, long created) {
        Map<Integer, StringBuilder> streamed = new HashMap<>();
        Map<Integer, Integer> offsets = new HashMap<>();
        List<GenerationResult> results = new ArrayList<>();
        Flux<ObjectNode> body = events.concatMapIterable(event -> switch (event) {
            case GenerationEvent.Started s -> {
                List<ObjectNode> out = new ArrayList<>();
                if (plan.echo()) {
                    for (ChoicePlan c : plan.choices()) {
                        String echo = plan.prompts().get(c.promptIndex()).echoText();
                        offsets.put(c.index(), echo.length());
                        out.add(chunk(plan, id, created, c.index(), echo, null, null));
                    }
                }
                yield out;
            }
            case GenerationEvent.Token t -> {
                GeneratedToken g = t.token();
                streamed.computeIfAbsent(t.choice(), k -> new StringBuilder()).append(g.textDelta());
                if (g.textDelta().isEmpty() && plan.logprobs() == null) {
                    yield List.of();
                }
                ObjectNode lp = null;
                if (plan.logprobs() != null && g.logprob() != null) {
                    int off = offsets.getOrDefault(t.choice(), 0);
                    lp = json.object();
                    lp.putArray("tokens").add(g.logprob().text());
                    lp.putArray("token_logprobs").add(g.logprob().logprob());
                    lp.putArray("top_logprobs").add(OpenAiFormat.topLogprobMap(json, g.logprob(), g.topLogprobs()));
                    lp.putArray("text_offset").add(off);
                    offsets.put(t.choice(), off + g.logprob().text().length());
                }
                yield List.of(chunk(plan, id, created, t.choice(), g.textDelta(), lp, null));
            }
            case GenerationEvent.ChoiceDone d -> {
                results.add(d.result());
                List<ObjectNode> out = new ArrayList<>();
                String sent = streamed.getOrDefault(d.choice(), new StringBuilder()).toString();
                String full = d.result().text();
                if (full.length() > sent.length() && full.startsWith(sent)) {
                    out.add(chunk(plan, id, created, d.choice(), full.substring(sent.length()), null, null));
                }
                ObjectNode last = chunk(plan, id, created, d.choice(), "", null, d.result().finishReason().openAiName());
                last.set("usage", OpenAiFormat.usage(json, plan.promptOf(d.choice()).tokens().length,
                        d.result().completionTokens(), plan.params().kvCache(), d.result().kvCache()));
                out.add(last);
                yield out;
            }
        });
        if (!plan.params().includeUsage()) {
            return body;
        }
        return body.concatWith(Mono.fromSupplier(() -> {
            ObjectNode u = header(plan, id, created);
            u.putArray("choices");
            u.set("usage", OpenAiFormat.usage(json, promptTokens(plan), completionTokens(results),
                    plan.params().kvCache(), OpenAiFormat.sum(results)));
            return u;
        }));
    }

    private ObjectNode header(Plan plan, String id, long created) {
        ObjectNode c = json.object();
        c.put("id", id);
        c.put("object", "text_completion");
        c.put("created", created);
        c.put("model", plan.model().id());
        c.put("system_fingerprint", OpenAiFormat.SYSTEM_FINGERPRINT);
        return c;
    }

    private ObjectNode chunk(Plan plan, String id, long created, int index, String text, ObjectNode logprobs,
                             String finishReason) {
        ObjectNode c = header(plan, id, created);
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", index);
        choice.put("text", text);
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
