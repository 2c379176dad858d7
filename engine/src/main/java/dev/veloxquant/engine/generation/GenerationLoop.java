package dev.veloxquant.engine.generation;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.FinishReason;
import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.TokenLogprob;
import dev.veloxquant.engine.sampling.Logprobs;
import dev.veloxquant.engine.sampling.Sampler;
import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * One generation on the calling thread: build the sequence's KV cache, prefill the prompt in one
 * batch, then decode token by token until EOS, a stop token or string, max tokens, the context
 * limit, or cancellation. The cache is closed on every path.
 */
public final class GenerationLoop {
    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final Set<Integer> eosIds;

    public GenerationLoop(CausalLm model, TextTokenizer tokenizer, Set<Integer> eosIds) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
    }

    public GenerationResult run(GenerationRequest req, GenerationListener listener, BooleanSupplier cancelled) {
        int[] prompt = req.promptTokens();
        validate(req, prompt);
        int vocab = model.vocabSize();
        int limit = Math.min(req.maxTokens(), model.contextLength() - prompt.length);
        long t0 = System.nanoTime();
        SequenceKVCache cache = KVCacheBuilder.build(model.geometry(), req.kvCache());
        CacheFootprint footprint = CacheFootprint.EMPTY;
        try {
            listener.onCacheCreated(cache);
            List<TokenLogprob> promptLogprobs = List.of();
            List<TokenLogprob> tokenLogprobs = new ArrayList<>();
            List<List<TokenLogprob>> topLogprobs = new ArrayList<>();
            if (cancelled.getAsBoolean()) {
                return result("", new int[0], FinishReason.CANCELLED, req, cache.footprint(), promptLogprobs, tokenLogprobs, topLogprobs, 0, 0);
            }
            float[] out = model.forward(prompt, 0, prompt.length, cache, req.promptLogprobs());
            float[] logits = out;
            if (req.promptLogprobs()) {
                promptLogprobs = promptLogprobs(prompt, out, vocab);
                logits = Arrays.copyOfRange(out, (prompt.length - 1) * vocab, prompt.length * vocab);
            }
            long t1 = System.nanoTime();
            listener.onPrefillDone(prompt.length);

            Sampler sampler = new Sampler(req.sampling(), prompt, vocab);
            TextTokenizer.StreamingDecoder decoder = tokenizer.streamingDecoder(true);
            StopStrings stops = new StopStrings(req.stop());
            StringBuilder text = new StringBuilder();
            int[] generated = new int[Math.max(0, limit)];
            int n = 0;
            FinishReason reason = FinishReason.LENGTH;
            for (int i = 0; i < limit; i++) {
                if (cancelled.getAsBoolean()) {
                    reason = FinishReason.CANCELLED;
                    text.append(stops.flush());
                    break;
                }
                int id = sampler.next(logits);
                generated[n++] = id;
                TokenLogprob chosen = null;
                List<TokenLogprob> top = List.of();
                if (req.topLogprobs() >= 0) {
                    double lse = Logprobs.logSumExp(logits, 0, vocab);
                    chosen = logprob(id, logits[id] - lse);
                    top = top(logits, 0, vocab, req.topLogprobs(), lse);
                    tokenLogprobs.add(chosen);
                    topLogprobs.add(top);
                }
                boolean endToken = (!req.ignoreEos() && eosIds.contains(id)) || req.stopTokenIds().contains(id);
                String delta;
                boolean stopped;
                if (endToken) {
                    delta = stops.push(decoder.flush()).emit() + stops.flush();
                    stopped = true;
                } else {
                    StopStrings.Step step = stops.push(decoder.push(id));
                    delta = step.emit();
                    stopped = step.stopped();
                    if (!stopped && i + 1 == limit) {
                        StopStrings.Step last = stops.push(decoder.flush());
                        delta += last.emit() + (last.stopped() ? "" : stops.flush());
                        stopped = last.stopped();
                    }
                }
                text.append(delta);
                listener.onToken(new GeneratedToken(i, id, delta, chosen, top));
                if (stopped) {
                    reason = FinishReason.STOP;
                    break;
                }
                if (i + 1 < limit) {
                    logits = model.forward(new int[]{id}, 0, 1, cache, false);
                }
            }
            long t2 = System.nanoTime();
            footprint = cache.footprint();
            return result(text.toString(), Arrays.copyOf(generated, n), reason, req, footprint, promptLogprobs,
                    tokenLogprobs, topLogprobs, t1 - t0, t2 - t1);
        } finally {
            cache.close();
        }
    }

    private void validate(GenerationRequest req, int[] prompt) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("prompt: at least one prompt token is required");
        }
        if (prompt.length >= model.contextLength()) {
            throw new IllegalArgumentException("prompt: " + prompt.length + " tokens leave no room in the context of "
                    + model.contextLength() + " tokens");
        }
        if (req.maxTokens() < 0) {
            throw new IllegalArgumentException("max_tokens must be >= 0, got " + req.maxTokens());
        }
        var s = req.sampling();
        if (s == null) {
            throw new IllegalArgumentException("sampling parameters are required");
        }
        if (!(s.temperature() >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + s.temperature());
        }
        if (!(s.topP() > 0 && s.topP() <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + s.topP());
        }
        if (!(s.minP() >= 0 && s.minP() <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + s.minP());
        }
        if (s.topK() < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + s.topK());
        }
        if (!(s.repetitionPenalty() > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, got " + s.repetitionPenalty());
        }
        for (int id : prompt) {
            if (id < 0 || id >= model.vocabSize()) {
                throw new IllegalArgumentException("prompt: token id " + id + " is outside the vocabulary (0.."
                        + (model.vocabSize() - 1) + ")");
            }
        }
    }

    private List<TokenLogprob> promptLogprobs(int[] prompt, float[] all, int vocab) {
        List<TokenLogprob> out = new ArrayList<>(prompt.length);
        out.add(null);
        for (int i = 1; i < prompt.length; i++) {
            int off = (i - 1) * vocab;
            double lse = Logprobs.logSumExp(all, off, vocab);
            out.add(logprob(prompt[i], all[off + prompt[i]] - lse));
        }
        return Collections.unmodifiableList(out);
    }

    private List<TokenLogprob> top(float[] logits, int off, int vocab, int k, double lse) {
        if (k <= 0) {
            return List.of();
        }
        int[] ids = Logprobs.topIds(logits, off, vocab, k);
        List<TokenLogprob> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(logprob(id, logits[off + id] - lse));
        }
        return List.copyOf(out);
    }

    private TokenLogprob logprob(int id, double lp) {
        return new TokenLogprob(id, tokenizer.decode(new int[]{id}, false), tokenizer.tokenBytes(id), (float) lp);
    }

    private static GenerationResult result(String text, int[] tokens, FinishReason reason, GenerationRequest req,
                                           CacheFootprint footprint, List<TokenLogprob> promptLogprobs,
                                           List<TokenLogprob> tokenLogprobs, List<List<TokenLogprob>> top,
                                           long prefill, long decode) {
        return new GenerationResult(text, tokens, reason, req.promptTokens().length, req.kvCache(), footprint,
                promptLogprobs, List.copyOf(tokenLogprobs), List.copyOf(top), prefill, decode);
    }
}
