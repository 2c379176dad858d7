package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.tensor.F16SafeTensors;
import dev.veloxquant.cache.tensor.KVTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On the embedded model's reference tensors (models/velox-tiny/reference/kv.safetensors, captured
 * from transformers): CommVQ keys against KIVI keys at the same or fewer bits, and the cache's
 * RoPE convention against the model's own post-RoPE keys.
 */
class CommVQFixtureTest {
    private static final Path FIXTURE = Path.of("..", "models", "velox-tiny", "reference", "kv.safetensors");
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 64;
    private static Map<String, F16SafeTensors.Tensor> fx;
    private static int layers;

    @BeforeAll
    static void load() throws IOException {
        assumeTrue(Files.exists(FIXTURE), "fixture " + FIXTURE + " not present");
        fx = F16SafeTensors.read(FIXTURE);
        while (fx.containsKey("layer" + layers + ".k_pre")) {
            layers++;
        }
    }

    /** KIVI keys by definition: post-RoPE, per channel over groups of 32 tokens, fp16 scale and zero. */
    static double[] kiviErr(float[] kPost, int seq, int bits) {
        int maxCode = (1 << bits) - 1;
        double err = 0;
        double ref = 0;
        for (int h = 0; h < KV_HEADS; h++) {
            for (int t0 = 0; t0 < seq; t0 += 32) {
                int n = Math.min(32, seq - t0);
                for (int c = 0; c < HEAD_DIM; c++) {
                    float mn = Float.POSITIVE_INFINITY;
                    float mx = Float.NEGATIVE_INFINITY;
                    for (int t = t0; t < t0 + n; t++) {
                        mn = Math.min(mn, kPost[(h * seq + t) * HEAD_DIM + c]);
                        mx = Math.max(mx, kPost[(h * seq + t) * HEAD_DIM + c]);
                    }
                    float sc = Float.float16ToFloat(Float.floatToFloat16((mx - mn) / maxCode));
                    float zr = Float.float16ToFloat(Float.floatToFloat16(mn));
                    for (int t = t0; t < t0 + n; t++) {
                        float x = kPost[(h * seq + t) * HEAD_DIM + c];
                        int code = sc > 0 ? Math.max(0, Math.min(maxCode, Math.round((x - zr) / sc))) : 0;
                        double e = x - (zr + sc * code);
                        err += e * e;
                        ref += (double) x * x;
                    }
                }
            }
        }
        return new double[] {err, ref};
    }

    private static double[] commvqErr(CommVQQuantizer q, float[] kPre, int seq, double[] bits) {
        KVTensor in = new KVTensor(1, KV_HEADS, seq, HEAD_DIM, kPre.clone());
        CommVQEncoded e = q.encode(in);
        bits[0] = e.bitsPerElement();
        float[] out = q.decode(e).data();
        double err = 0;
        double ref = 0;
        for (int i = 0; i < kPre.length; i++) {
            double d = out[i] - kPre[i];
            err += d * d;
            ref += (double) kPre[i] * kPre[i];
        }
        return new double[] {err, ref};
    }

    private static void assertBeats(int bits, int res, int kiviBits) {
        double[] cv = new double[2];
        double[] kv = new double[2];
        double[] b = new double[1];
        CommVQQuantizer q = new CommVQQuantizer(bits, res);
        for (int l = 0; l < layers; l++) {
            F16SafeTensors.Tensor kPre = fx.get("layer" + l + ".k_pre");
            int seq = kPre.dim(1);
            double[] c = commvqErr(q, kPre.data(), seq, b);
            double[] k = kiviErr(fx.get("layer" + l + ".k_post").data(), seq, kiviBits);
            cv[0] += c[0];
            cv[1] += c[1];
            kv[0] += k[0];
            kv[1] += k[1];
        }
        double commvq = cv[0] / cv[1];
        double kivi = kv[0] / kv[1];
        System.out.printf("commvq %dx%d: rel MSE %.3e at %.3f bits/elem; int%d KIVI: %.3e at %.3f%n", bits, res, commvq, b[0],
                kiviBits, kivi, kiviBits + 1.0);
        assertThat(b[0]).isLessThanOrEqualTo(kiviBits + 1.0);
        assertThat(commvq).isLessThan(kivi);
    }

    @Test
    void fourBitKeysBeatInt4AtNoMoreBits() {
        assertBeats(2, 2, 4);
    }

    @Test
    void twoBitKeysBeatInt2AtNoMoreBits() {
        assertBeats(1, 2, 2);
    }

    @Test
    void cacheScoresMatchTheModelsPostRopeKeys() {
        // 16 bits per axis: the codes are finer than fp16, so scores from codes must reproduce q·k_post
        // up to fp16 rounding, which checks the pairing and the angles against transformers' RoPE.
        RotaryEmbedding rope = RotaryEmbedding.standard(HEAD_DIM, 10000, RopeLayout.HALF);
        for (int l = 0; l < layers; l += 5) {
            float[] kPre = fx.get("layer" + l + ".k_pre").data();
            float[] kPost = fx.get("layer" + l + ".k_post").data();
            float[] q = fx.get("layer" + l + ".q").data();
            float[] v = fx.get("layer" + l + ".v").data();
            int seq = fx.get("layer" + l + ".k_pre").dim(1);
            CommVQKVCache c = new CommVQKVCache(KV_HEADS, HEAD_DIM, rope,
                    new CommVQQuantizer(4, 4).paramsFor(HEAD_DIM), 0, 16);
            float[] k = new float[seq * KV_HEADS * HEAD_DIM];
            float[] vv = new float[seq * KV_HEADS * HEAD_DIM];
            for (int t = 0; t < seq; t++) {
                for (int h = 0; h < KV_HEADS; h++) {
                    System.arraycopy(kPre, (h * seq + t) * HEAD_DIM, k, (t * KV_HEADS + h) * HEAD_DIM, HEAD_DIM);
                    System.arraycopy(v, (h * seq + t) * HEAD_DIM, vv, (t * KV_HEADS + h) * HEAD_DIM, HEAD_DIM);
                }
            }
            c.append(k, 0, vv, 0, seq);
            int pos = seq - 1;
            for (int qh = 0; qh < 6; qh++) {
                int kh = qh / 3;
                float[] out = new float[seq];
                c.scores(kh, q, (qh * seq + pos) * HEAD_DIM, 1, seq, out, 0);
                for (int t = 0; t < seq; t++) {
                    double want = 0;
                    double mag = 0;
                    for (int d = 0; d < HEAD_DIM; d++) {
                        double a = q[(qh * seq + pos) * HEAD_DIM + d];
                        double b = kPost[(kh * seq + t) * HEAD_DIM + d];
                        want += a * b;
                        mag += Math.abs(a * b);
                    }
                    assertThat((double) out[t]).as("layer %d head %d token %d", l, qh, t)
                            .isCloseTo(want, org.assertj.core.data.Offset.offset(2e-3 * mag + 1e-3));
                }
            }
        }
    }
}
