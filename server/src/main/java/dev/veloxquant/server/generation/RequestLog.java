package dev.veloxquant.server.generation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.Locale;

/** One log line per finished generation: tokens, KV-cache bytes against fp16, timings. Never request content. */
@Component
public class RequestLog implements RequestListener {
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);

    @Override
    public void generationFinished(GenerationOutcome o) {
        if (!log.isInfoEnabled()) {
            return;
        }
        var kv = o.kvCache();
        log.info(String.format(Locale.ROOT,
                "%s %s: %d prompt + %d generated tokens, finish=%s, kv %s %d B vs fp16 %d B (%.2fx), prefill %.1f ms, decode %.1f ms (%.1f tok/s), total %.1f ms",
                o.endpoint(), o.model(), o.promptTokens(), o.completionTokens(), o.finishReason().openAiName(),
                o.kvCacheConfig().method().id(), kv.bytes(), kv.fp16Bytes(), kv.compressionRatio(),
                o.prefillNanos() / 1e6, o.decodeNanos() / 1e6,
                o.decodeNanos() == 0 ? 0.0 : o.completionTokens() / (o.decodeNanos() / 1e9), o.totalNanos() / 1e6));
    }

    @Override
    public void generationCancelled(String model, String endpoint, boolean timedOut) {
        log.info("{} {}: generation stopped ({})", endpoint, model, timedOut ? "request timeout" : "client went away");
    }
}
