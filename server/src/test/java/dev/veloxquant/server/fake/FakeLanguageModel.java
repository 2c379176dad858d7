package dev.veloxquant.server.fake;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.FinishReason;
import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.TokenLogprob;
import dev.veloxquant.engine.chat.ChatMessage;
import dev.veloxquant.engine.chat.ChatTemplate;
import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * A test stand-in for the engine that keeps the engine's contract without a network: byte tokens,
 * a ChatML template, and output read from a fixed script (at an offset chosen by the seed when
 * sampling). It builds a real KV cache with cache-core's {@link KVCacheBuilder} and appends one entry
 * per token, so footprints are real, and it records every request it receives.
 *
 * <p>Prompt markers steer it: {@code [slow]} waits 20 ms per token, {@code [eos]} ends with EOS after
 * three tokens.
 */
public final class FakeLanguageModel implements LanguageModel {
    public static final String SCRIPT = "The quick brown fox jumps over the lazy dog. ";
    public static final int CONTEXT = 512;

    private final String id;
    private final ByteTokenizer tokenizer = new ByteTokenizer();
    private final ModelGeometry geometry;
    public final List<GenerationRequest> requests = new CopyOnWriteArrayList<>();
    public final List<FinishReason> finished = new CopyOnWriteArrayList<>();

    public FakeLanguageModel(String id) {
        this.id = id;
        this.geometry = new ModelGeometry(id, 2, 4, 2, 16, CONTEXT,
                RotaryEmbedding.standard(16, 10000, RopeLayout.HALF), null);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public ModelGeometry geometry() {
        return geometry;
    }

    @Override
    public int contextLength() {
        return CONTEXT;
    }

    @Override
    public int vocabSize() {
        return ByteTokenizer.VOCAB;
    }

    @Override
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public ChatTemplate chatTemplate() {
        return (List<ChatMessage> messages, boolean addGenerationPrompt) -> {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
            }
            if (addGenerationPrompt) {
                sb.append("<|im_start|>assistant\n");
            }
            return sb.toString();
        };
    }

    @Override
    public GenerationResult generate(GenerationRequest request, GenerationListener listener, BooleanSupplier cancelled) {
        requests.add(request);
        long t0 = System.nanoTime();
        String prompt = tokenizer.decode(request.promptTokens(), false);
        boolean slow = prompt.contains("[slow]");
        boolean eos = prompt.contains("[eos]");
        int kvDim = geometry.kvDim();
        try (SequenceKVCache cache = KVCacheBuilder.build(geometry, request.kvCache())) {
            listener.onCacheCreated(cache);
            append(cache, request.promptTokens().length, kvDim);
            listener.onPrefillDone(request.promptTokens().length);
            long t1 = System.nanoTime();

            int offset = 0;
            if (request.sampling().temperature() > 0) {
                Long seed = request.sampling().seed();
                long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
                offset = (int) Math.floorMod(s, (long) SCRIPT.length());
            }
            int forced = request.sampling().logitBias().entrySet().stream()
                    .filter(e -> e.getValue() >= 50).mapToInt(e -> e.getKey()).findFirst().orElse(-1);

            List<Integer> tokens = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            int emitted = 0;
            List<TokenLogprob> chosen = new ArrayList<>();
            List<List<TokenLogprob>> tops = new ArrayList<>();
            FinishReason reason = FinishReason.LENGTH;
            String finalText = null;
            for (int i = 0; i < request.maxTokens(); i++) {
                if (cancelled.getAsBoolean()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                if (slow) {
                    sleep(20);
                }
                int tokenId = forced >= 0 ? forced
                        : eos && i == 3 && !request.ignoreEos() ? ByteTokenizer.EOS
                        : SCRIPT.charAt((offset + i) % SCRIPT.length());
                if (request.stopTokenIds().contains(tokenId)) {
                    tokens.add(tokenId);
                    reason = FinishReason.STOP;
                    break;
                }
                append(cache, 1, kvDim);
                tokens.add(tokenId);
                TokenLogprob lp = null;
                List<TokenLogprob> top = List.of();
                if (request.topLogprobs() >= 0) {
                    lp = logprob(tokenId, -0.25f);
                    List<TokenLogprob> t = new ArrayList<>();
                    for (int k = 0; k < request.topLogprobs(); k++) {
                        t.add(k == 0 ? lp : logprob('a' + k, -1f - k));
                    }
                    top = t;
                    chosen.add(lp);
                    tops.add(top);
                }
                if (tokenizer.eosIds().contains(tokenId) && !request.ignoreEos()) {
                    reason = FinishReason.STOP;
                    listener.onToken(new GeneratedToken(i, tokenId, "", lp, top));
                    break;
                }
                if (tokenId < 256) {
                    text.append((char) tokenId);
                }
                String delta;
                boolean last = i == request.maxTokens() - 1;
                int stopAt = stopIndex(text, request.stop());
                if (stopAt >= 0) {
                    finalText = text.substring(0, stopAt);
                    delta = finalText.substring(Math.min(emitted, finalText.length()));
                    reason = FinishReason.STOP;
                    listener.onToken(new GeneratedToken(i, tokenId, delta, lp, top));
                    break;
                }
                int safe = last ? text.length() : text.length() - heldBack(text, request.stop());
                delta = safe > emitted ? text.substring(emitted, safe) : "";
                emitted = Math.max(emitted, safe);
                listener.onToken(new GeneratedToken(i, tokenId, delta, lp, top));
            }
            CacheFootprint peak = cache.footprint();
            List<TokenLogprob> promptLps = new ArrayList<>();
            if (request.promptLogprobs()) {
                for (int i = 0; i < request.promptTokens().length; i++) {
                    promptLps.add(i == 0 ? null : logprob(request.promptTokens()[i], -1f));
                }
            }
            finished.add(reason);
            return new GenerationResult(finalText != null ? finalText : text.toString(),
                    tokens.stream().mapToInt(Integer::intValue).toArray(), reason, request.promptTokens().length,
                    request.kvCache(), peak, promptLps, chosen, tops, t1 - t0, System.nanoTime() - t1);
        }
    }

    private TokenLogprob logprob(int id, float lp) {
        return new TokenLogprob(id, tokenizer.decode(new int[]{id}, false), tokenizer.tokenBytes(id), lp);
    }

    private static int stopIndex(CharSequence text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int i = text.toString().indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of a stop string. */
    private static int heldBack(CharSequence text, List<String> stops) {
        int held = 0;
        String t = text.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, t.length()); k > held; k--) {
                if (t.endsWith(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    private static void append(SequenceKVCache cache, int count, int kvDim) {
        float[] kv = new float[count * kvDim];
        for (int l = 0; l < cache.numLayers(); l++) {
            cache.layer(l).append(kv, 0, kv, 0, count);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
