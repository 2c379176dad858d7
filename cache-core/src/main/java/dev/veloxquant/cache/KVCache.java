package dev.veloxquant.cache;

/**
 * The KV cache of one layer of one sequence. The engine appends each token's keys and values, then
 * asks for attention scores and value sums; a compressed cache answers from its codes without ever
 * materializing fp32 keys. Token {@code t} is at position {@code t} (no sliding, no shifting).
 *
 * <p>Layouts: a token's keys (and values) are {@code kvHeads x headDim} floats, heads contiguous.
 * Queries for one KV head are {@code numQueries} consecutive head vectors (the GQA group), already
 * rotated by RoPE. Not thread-safe: one sequence is driven by one thread at a time.
 */
public interface KVCache extends AutoCloseable {

    /** Tokens held. */
    int size();

    /**
     * Whether {@link #append} expects keys BEFORE RoPE (the cache then applies the rotation itself
     * inside {@link #scores}); otherwise keys are post-RoPE as in a plain cache.
     */
    boolean keysBeforeRope();

    /**
     * Appends {@code count} tokens at positions {@code size() .. size()+count-1}. Prefill hands the
     * whole prompt at once (so methods that fit statistics to the prompt see all of it); decode one
     * token at a time.
     *
     * @param keys   {@code count x kvHeads x headDim} from {@code keysOff}
     * @param values {@code count x kvHeads x headDim} from {@code valuesOff}
     */
    void append(float[] keys, int keysOff, float[] values, int valuesOff, int count);

    /**
     * Raw dot products q·k (no 1/sqrt(d) scale) of {@code numQueries} query vectors against the first
     * {@code upTo} cached tokens of {@code kvHead}.
     *
     * @param queries {@code numQueries x headDim} from {@code qOff}, post-RoPE
     * @param out     {@code numQueries} rows of {@code upTo} scores from {@code outOff} (row stride {@code upTo})
     */
    void scores(int kvHead, float[] queries, int qOff, int numQueries, int upTo, float[] out, int outOff);

    /**
     * Weighted sums of values: for each of {@code numQueries} rows of {@code upTo} weights, writes
     * (overwrites) {@code sum_t w[t] * v[t]} for {@code kvHead} into a {@code headDim} row of {@code out}.
     *
     * @param weights {@code numQueries} rows of {@code upTo} weights from {@code wOff} (row stride {@code upTo})
     * @param out     {@code numQueries x headDim} from {@code outOff}
     */
    void accumulateValues(int kvHead, float[] weights, int wOff, int numQueries, int upTo, float[] out, int outOff);

    /** What this layer holds now. */
    CacheFootprint footprint();

    /** Releases the memory; the cache is unusable afterwards. Idempotent. */
    @Override
    void close();
}
