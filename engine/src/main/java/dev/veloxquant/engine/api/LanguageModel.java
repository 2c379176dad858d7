package dev.veloxquant.engine.api;

import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.engine.chat.ChatTemplate;
import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.util.function.BooleanSupplier;

/**
 * A loaded model the server can generate with. Thread-safe: many generations may run at once, each
 * with its own KV cache (built from the request's {@code KVCacheConfig}).
 */
public interface LanguageModel extends AutoCloseable {

    /** The id clients use in {@code "model"}. */
    String id();

    ModelGeometry geometry();

    /** Maximum prompt + generated tokens. */
    int contextLength();

    int vocabSize();

    TextTokenizer tokenizer();

    /** The model's chat template, rendered like transformers' apply_chat_template. */
    ChatTemplate chatTemplate();

    /**
     * Runs one generation on the calling thread: prefill, then decode until a stop condition, max
     * tokens, or {@code cancelled} turns true (checked before every token). The KV cache is built
     * from {@code request.kvCache()} and always closed before this returns, also on failure.
     */
    GenerationResult generate(GenerationRequest request, GenerationListener listener, BooleanSupplier cancelled);

    @Override
    void close();
}
