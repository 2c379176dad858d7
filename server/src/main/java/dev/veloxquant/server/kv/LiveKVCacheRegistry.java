package dev.veloxquant.server.kv;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.SequenceKVCache;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KV caches alive right now, by model and method: how many bytes they hold and what fp16 would
 * hold for the same tokens. Gauges read {@link #totals()}; nothing here depends on a meter registry.
 *
 * <p>A cache's footprint is only read on the thread generating with it (through {@link Entry#update()},
 * called from the generation listener), because a compressed cache is not safe to inspect while it is
 * being appended to; readers see the latest snapshot.
 */
@Component
public class LiveKVCacheRegistry {

    /** The label pair the totals are grouped by. */
    public record Key(String model, KVCacheMethod method) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = model.compareTo(o.model);
            return c != 0 ? c : method.compareTo(o.method);
        }
    }

    /** Sum over the live sequences of one key. */
    public record Totals(int sequences, long bytes, long fp16Bytes) {
        public static final Totals EMPTY = new Totals(0, 0, 0);

        public long savedBytes() {
            return fp16Bytes - bytes;
        }

        Totals plus(CacheFootprint f) {
            return new Totals(sequences + 1, bytes + f.bytes(), fp16Bytes + f.fp16Bytes());
        }
    }

    private final Set<Entry> live = ConcurrentHashMap.newKeySet();

    /** Starts tracking a sequence's cache; close the entry when the sequence ends. */
    public Entry register(String modelId, SequenceKVCache cache) {
        Entry e = new Entry(new Key(modelId, cache.config().method()), cache);
        live.add(e);
        return e;
    }

    /** Totals per model and method, only for keys with live sequences. */
    public Map<Key, Totals> totals() {
        Map<Key, Totals> out = new TreeMap<>();
        for (Entry e : live) {
            out.merge(e.key, Totals.EMPTY.plus(e.latest), (a, b) -> new Totals(a.sequences + b.sequences,
                    a.bytes + b.bytes, a.fp16Bytes + b.fp16Bytes));
        }
        return out;
    }

    public Totals totals(String modelId, KVCacheMethod method) {
        return totals().getOrDefault(new Key(modelId, method), Totals.EMPTY);
    }

    public int liveSequences() {
        return live.size();
    }

    public long liveBytes() {
        long sum = 0;
        for (Entry e : live) {
            sum += e.latest.bytes();
        }
        return sum;
    }

    /** Bytes held by the live caches of one model, every method. */
    public long liveBytes(String modelId) {
        long sum = 0;
        for (Entry e : live) {
            if (e.key.model().equals(modelId)) {
                sum += e.latest.bytes();
            }
        }
        return sum;
    }

    public long liveFp16Bytes() {
        long sum = 0;
        for (Entry e : live) {
            sum += e.latest.fp16Bytes();
        }
        return sum;
    }

    /** One tracked sequence. */
    public final class Entry implements AutoCloseable {
        private final Key key;
        private final SequenceKVCache cache;
        private volatile CacheFootprint latest = CacheFootprint.EMPTY;

        private Entry(Key key, SequenceKVCache cache) {
            this.key = key;
            this.cache = cache;
        }

        /** Re-reads the footprint; call on the generating thread. */
        public void update() {
            latest = cache.footprint();
        }

        public CacheFootprint latest() {
            return latest;
        }

        @Override
        public void close() {
            live.remove(this);
        }
    }
}
