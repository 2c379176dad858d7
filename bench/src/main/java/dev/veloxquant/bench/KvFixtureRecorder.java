package dev.veloxquant.bench;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.llama.LlamaLanguageModel;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Records a model's per-layer tensors in the reference kv.safetensors layout (k_pre, k_post, v
 * [kvHeads, 512, headDim], q [heads, 512, headDim], F16) by running 512 held-out tokens from
 * {@code offset} through the engine with a recording cache, for models that come without fixtures.
 *
 * <p>Usage: {@code KvFixtureRecorder <modelDir> <offset> <out.safetensors>}
 */
public final class KvFixtureRecorder {
    static final class Rec implements KVCache {
        final int kvHeads, d, heads, n;
        final RotaryEmbedding rope;
        final float[] kPre, kPost, v, q;
        int size;
        Rec(int kvHeads, int heads, int d, int n, RotaryEmbedding rope) {
            this.kvHeads = kvHeads; this.heads = heads; this.d = d; this.n = n; this.rope = rope;
            kPre = new float[kvHeads * n * d]; kPost = new float[kvHeads * n * d]; v = new float[kvHeads * n * d]; q = new float[heads * n * d];
        }
        public int size() { return size; }
        public boolean keysBeforeRope() { return true; }
        public void append(float[] keys, int ko, float[] values, int vo, int count) {
            for (int t = 0; t < count; t++) {
                int pos = size + t;
                for (int h = 0; h < kvHeads; h++) {
                    for (int i = 0; i < d; i++) {
                        kPre[(h * n + pos) * d + i] = keys[ko + (t * kvHeads + h) * d + i];
                        kPost[(h * n + pos) * d + i] = keys[ko + (t * kvHeads + h) * d + i];
                        v[(h * n + pos) * d + i] = values[vo + (t * kvHeads + h) * d + i];
                    }
                    rope.rotate(kPost, (h * n + pos) * d, pos);
                }
            }
            size += count;
        }
        public void scores(int g, float[] qs, int qOff, int nq, int upTo, float[] out, int outOff) {
            int pos = upTo - 1;
            for (int qi = 0; qi < nq; qi++) {
                int head = g * nq + qi;
                System.arraycopy(qs, qOff + qi * d, q, (head * n + pos) * d, d);
                for (int t = 0; t < upTo; t++) {
                    float s = 0;
                    for (int i = 0; i < d; i++) s += qs[qOff + qi * d + i] * kPost[(g * n + t) * d + i];
                    out[outOff + qi * upTo + t] = s;
                }
            }
        }
        public void accumulateValues(int g, float[] w, int wOff, int nq, int upTo, float[] out, int outOff) {
            for (int qi = 0; qi < nq; qi++) {
                for (int i = 0; i < d; i++) {
                    float s = 0;
                    for (int t = 0; t < upTo; t++) s += w[wOff + qi * upTo + t] * v[(g * n + t) * d + i];
                    out[outOff + qi * d + i] = s;
                }
            }
        }
        public CacheFootprint footprint() { return CacheFootprint.EMPTY; }
        public void close() { }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = 512;
        try (LanguageModel m = LanguageModels.load(dir, "cap", s -> { })) {
            LlamaLanguageModel lm = (LlamaLanguageModel) m;
            int[] ids = lm.tokenizer().encode(Files.readString(dir.resolve("eval/heldout.txt")));
            int skip = Integer.parseInt(args[1]);
            var g = lm.geometry();
            List<KVCache> layers = new ArrayList<>();
            for (int l = 0; l < g.numLayers(); l++) layers.add(new Rec(g.numKvHeads(), g.numHeads(), g.headDim(), n, g.rope()));
            try (SequenceKVCache c = new SequenceKVCache(KVCacheConfig.fp16(), layers)) {
                for (int s = 0; s < n; s += 16) lm.forward().forward(ids, skip + s, 16, c, false);
            }
            StringBuilder hdr = new StringBuilder("{");
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (int l = 0; l < g.numLayers(); l++) {
                Rec r = (Rec) layers.get(l);
                String[] names = {"k_pre", "k_post", "v", "q"};
                float[][] arrs = {r.kPre, r.kPost, r.v, r.q};
                for (int a = 0; a < 4; a++) {
                    int h = a == 3 ? g.numHeads() : g.numKvHeads();
                    ByteBuffer b = ByteBuffer.allocate(arrs[a].length * 2).order(ByteOrder.LITTLE_ENDIAN);
                    for (float f : arrs[a]) b.putShort(Float.floatToFloat16(f));
                    int begin = data.size();
                    data.write(b.array());
                    if (hdr.length() > 1) hdr.append(',');
                    hdr.append("\"layer").append(l).append('.').append(names[a]).append("\":{\"dtype\":\"F16\",\"shape\":[")
                       .append(h).append(',').append(n).append(',').append(g.headDim()).append("],\"data_offsets\":[")
                       .append(begin).append(',').append(data.size()).append("]}");
                }
            }
            hdr.append('}');
            byte[] hb = hdr.toString().getBytes();
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length);
            Path out = Path.of(args[2]);
            Files.write(out, concat(len.array(), hb, data.toByteArray()));
            System.out.println("wrote " + out);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
