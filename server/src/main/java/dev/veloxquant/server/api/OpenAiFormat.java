package dev.veloxquant.server.api;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.TokenLogprob;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.error.ApiException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/** Pieces of OpenAI's response format shared by completions and chat. */
final class OpenAiFormat {
    static final String SYSTEM_FINGERPRINT = "fp_veloxquant_0_1";

    private OpenAiFormat() {
    }

    static String newId(String prefix) {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    /** The footprints of several choices (each its own cache) as one. */
    static CacheFootprint sum(Collection<GenerationResult> results) {
        long tokens = 0;
        long elements = 0;
        long keys = 0;
        long values = 0;
        for (GenerationResult r : results) {
            CacheFootprint f = r.kvCache() == null ? CacheFootprint.EMPTY : r.kvCache();
            tokens = Math.max(tokens, f.tokens());
            elements += f.elements();
            keys += f.keyBytes();
            values += f.valueBytes();
        }
        return new CacheFootprint(tokens, elements, keys, values);
    }

    /** {@code usage} with our {@code kv_cache} extension. */
    static ObjectNode usage(ApiJson json, int promptTokens, int completionTokens, KVCacheConfig config, CacheFootprint f) {
        ObjectNode u = json.object();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
        u.set("kv_cache", kvCache(json, config, f));
        return u;
    }

    /** The resolved settings; bits and residuals as the method uses them (fp16: 16 bits, 1 stage). */
    static ObjectNode kvSettings(ApiJson json, KVCacheConfig c) {
        boolean staged = c.method() == KVCacheMethod.COMMVQ || c.method() == KVCacheMethod.TURBOQUANT;
        ObjectNode kv = json.object();
        kv.put("method", c.method().id());
        kv.put("bits", staged ? c.bits() : c.nominalKeyBits());
        kv.put("num_residuals", staged ? c.numResiduals() : 1);
        kv.put("value_bits", c.effectiveValueBits());
        kv.put("group_size", c.groupSize());
        kv.put("window_size", c.windowSize());
        return kv;
    }

    static ObjectNode kvCache(ApiJson json, KVCacheConfig c, CacheFootprint f) {
        ObjectNode kv = kvSettings(json, c);
        kv.put("tokens", f.tokens());
        kv.put("key_bits_per_element", round(f.keyBitsPerElement()));
        kv.put("value_bits_per_element", round(f.valueBitsPerElement()));
        kv.put("bytes", f.bytes());
        kv.put("fp16_bytes", f.fp16Bytes());
        kv.put("saved_bytes", f.savedBytes());
        kv.put("compression_ratio", round(f.compressionRatio()));
        return kv;
    }

    static double round(double v) {
        return Math.round(v * 10_000.0) / 10_000.0;
    }

    static ArrayNode bytes(ApiJson json, byte[] b) {
        ArrayNode a = json.mapper().createArrayNode();
        if (b != null) {
            for (byte x : b) {
                a.add(x & 0xff);
            }
        }
        return a;
    }

    /** One entry of chat's {@code logprobs.content}. */
    static ObjectNode chatLogprob(ApiJson json, TokenLogprob chosen, List<TokenLogprob> top) {
        ObjectNode e = json.object();
        e.put("token", chosen.text());
        e.put("logprob", chosen.logprob());
        e.set("bytes", bytes(json, chosen.bytes()));
        ArrayNode alternatives = e.putArray("top_logprobs");
        for (TokenLogprob t : top) {
            ObjectNode a = alternatives.addObject();
            a.put("token", t.text());
            a.put("logprob", t.logprob());
            a.set("bytes", bytes(json, t.bytes()));
        }
        return e;
    }

    /** Legacy completions' {@code top_logprobs} entry: token text to logprob. */
    static ObjectNode topLogprobMap(ApiJson json, TokenLogprob chosen, List<TokenLogprob> top) {
        ObjectNode m = json.object();
        if (top == null || top.isEmpty()) {
            if (chosen != null) {
                m.put(chosen.text(), chosen.logprob());
            }
        } else {
            for (TokenLogprob t : top) {
                m.put(t.text(), t.logprob());
            }
        }
        return m;
    }

    /** A text/event-stream response that flushes every event, and ends with {@code data: [DONE]}. */
    static Mono<ServerResponse> sse(ApiJson json, Flux<ObjectNode> events) {
        // An error before the first event propagates (so it becomes a proper HTTP status); after
        // output has started it can only be reported in the stream, as OpenAI does.
        AtomicBoolean emitted = new AtomicBoolean();
        Flux<String> lines = events.map(json::string)
                .doOnNext(x -> emitted.set(true))
                .concatWithValues("[DONE]")
                .onErrorResume(e -> {
                    if (!emitted.get()) {
                        return Flux.error(e);
                    }
                    ApiException api = e instanceof ApiException a ? a
                            : ApiErrors.internal("The server had an internal error while generating.");
                    return Flux.just(json.string(errorBody(json, api)));
                });
        BodyInserter<Flux<String>, ReactiveHttpOutputMessage> inserter = (message, context) ->
                message.writeAndFlushWith(lines.map(line -> Mono.just(buffer(message, line))));
        return ServerResponse.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .body(inserter);
    }

    static ObjectNode errorBody(ApiJson json, ApiException e) {
        ObjectNode root = json.object();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param());
        }
        if (e.code() == null) {
            err.putNull("code");
        } else {
            err.put("code", e.code());
        }
        return root;
    }

    private static DataBuffer buffer(ReactiveHttpOutputMessage message, String payload) {
        return message.bufferFactory().wrap(("data: " + payload + "\n\n").getBytes(StandardCharsets.UTF_8));
    }
}
