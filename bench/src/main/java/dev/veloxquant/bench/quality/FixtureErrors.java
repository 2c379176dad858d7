package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.quality.QualityMetrics;
import dev.veloxquant.engine.safetensors.SafeTensorsFile;
import dev.veloxquant.engine.safetensors.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;

/**
 * Key, value and attention-output errors of one cache configuration on the model's recorded
 * per-layer tensors (reference/kv.safetensors). Everything is read back THROUGH the cache, the way
 * attention sees it: scores against unit queries give the keys it effectively holds (post-RoPE,
 * so CommVQ's on-the-fly rotation is included), one-hot weights give its values. Tokens are
 * appended one at a time, so the fp16 window and the groups quantized so far are those a decoder
 * would hold after the passage.
 */
final class FixtureErrors {
    record Result(double keyRelMse, double valueRelMse, double attentionRelError) {
    }

    private final ModelGeometry geometry;
    private final float[][] kPre;
    private final float[][] kPost;
    private final float[][] v;
    private final float[][] q;
    private final int seq;

    FixtureErrors(Path kvFixture, ModelGeometry geometry) {
        this.geometry = geometry;
        int layers = geometry.numLayers();
        kPre = new float[layers][];
        kPost = new float[layers][];
        v = new float[layers][];
        q = new float[layers][];
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> t = SafeTensorsFile.open(kvFixture, arena).tensors();
            for (int l = 0; l < layers; l++) {
                kPre[l] = t.get("layer" + l + ".k_pre").toFloatArray();
                kPost[l] = t.get("layer" + l + ".k_post").toFloatArray();
                v[l] = t.get("layer" + l + ".v").toFloatArray();
                q[l] = t.get("layer" + l + ".q").toFloatArray();
            }
            seq = (int) t.get("layer0.k_post").shape()[1];
        }
    }

    int seq() {
        return seq;
    }

    Result measure(KVCacheConfig config) {
        int kvHeads = geometry.numKvHeads();
        int d = geometry.headDim();
        double kErr = 0, kRef = 0, vErr = 0, vRef = 0, aErr = 0, aRef = 0;
        float[] identityQ = identity(d);
        float[] identityW = identity(seq);
        for (int l = 0; l < geometry.numLayers(); l++) {
            try (SequenceKVCache seqCache = KVCacheBuilder.build(geometry, config)) {
                KVCache cache = seqCache.layer(l);
                float[] keysIn = cache.keysBeforeRope() ? kPre[l] : kPost[l];
                float[] tokK = new float[kvHeads * d];
                float[] tokV = new float[kvHeads * d];
                for (int t = 0; t < seq; t++) {
                    for (int h = 0; h < kvHeads; h++) {
                        System.arraycopy(keysIn, (h * seq + t) * d, tokK, h * d, d);
                        System.arraycopy(v[l], (h * seq + t) * d, tokV, h * d, d);
                    }
                    cache.append(tokK, 0, tokV, 0, 1);
                }
                float[] keyRows = new float[d * seq];
                float[] valueRows = new float[seq * d];
                for (int h = 0; h < kvHeads; h++) {
                    cache.scores(h, identityQ, 0, d, seq, keyRows, 0);
                    cache.accumulateValues(h, identityW, 0, seq, seq, valueRows, 0);
                    for (int t = 0; t < seq; t++) {
                        for (int i = 0; i < d; i++) {
                            double ref = kPost[l][(h * seq + t) * d + i];
                            double e = keyRows[i * seq + t] - ref;
                            kErr += e * e;
                            kRef += ref * ref;
                            double vr = v[l][(h * seq + t) * d + i];
                            double ve = valueRows[t * d + i] - vr;
                            vErr += ve * ve;
                            vRef += vr * vr;
                        }
                    }
                }
            }
            try (SequenceKVCache seqCache = KVCacheBuilder.build(geometry, config)) {
                KVCache cache = seqCache.layer(l);
                float[] keysIn = cache.keysBeforeRope() ? kPre[l] : kPost[l];
                float[] ref = QualityMetrics.referenceAttention(q[l], kPost[l], v[l], geometry.numHeads(), kvHeads, seq, d);
                float[] got = QualityMetrics.cacheAttention(cache, q[l], keysIn, v[l], geometry.numHeads(), kvHeads, seq, d);
                for (int i = 0; i < ref.length; i++) {
                    double e = got[i] - ref[i];
                    aErr += e * e;
                    aRef += (double) ref[i] * ref[i];
                }
            }
        }
        return new Result(kErr / kRef, vErr / vRef, Math.sqrt(aErr / aRef));
    }

    private static float[] identity(int n) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            m[i * n + i] = 1f;
        }
        return m;
    }
}
