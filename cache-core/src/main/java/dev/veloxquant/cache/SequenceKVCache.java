package dev.veloxquant.cache;

import java.util.List;

/** The per-layer caches of one sequence, built by {@link KVCacheBuilder}; closing it frees every layer. */
public final class SequenceKVCache implements AutoCloseable {
    private final KVCacheConfig config;
    private final List<KVCache> layers;
    private volatile boolean closed;

    public SequenceKVCache(KVCacheConfig config, List<KVCache> layers) {
        this.config = config;
        this.layers = List.copyOf(layers);
    }

    public KVCacheConfig config() {
        return config;
    }

    public KVCache layer(int i) {
        return layers.get(i);
    }

    public int numLayers() {
        return layers.size();
    }

    /** Tokens held (every layer holds the same). */
    public int size() {
        return layers.isEmpty() ? 0 : layers.get(0).size();
    }

    public CacheFootprint footprint() {
        if (closed) {
            return CacheFootprint.EMPTY;
        }
        CacheFootprint f = CacheFootprint.EMPTY;
        for (KVCache l : layers) {
            f = f.plusLayer(l.footprint());
        }
        return f;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (KVCache l : layers) {
            l.close();
        }
    }
}
