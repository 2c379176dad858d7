package dev.veloxquant.bench;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.commvq.CommVQEncoded;
import dev.veloxquant.cache.commvq.CommVQQuantizer;
import dev.veloxquant.cache.tensor.F16SafeTensors;
import dev.veloxquant.cache.tensor.KVTensor;
import dev.veloxquant.cache.uniform.UniformEncodedTensor;
import dev.veloxquant.cache.uniform.UniformQuantizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key quality of CommVQ against KIVI int4 / int2 keys on the model's reference fixtures
 * ({@code reference/kv.safetensors}: per layer pre-RoPE keys, post-RoPE keys, values, queries).
 * For each method: key relative MSE over all layers, bits per key element including overhead, and
 * what the key error does to attention with the model's real queries (causal, every 8th query
 * position): mean KL of the attention distribution and the relative error of the attention output
 * (exact values), both against the fixture's own post-RoPE keys.
 *
 * <p>KIVI keys through the int caches' {@link UniformQuantizer} (post-RoPE, per channel over groups of
 * 32 tokens), CommVQ through {@link CommVQQuantizer} (pre-RoPE); both quantize every token (no window).
 *
 * <p>Usage: {@code CommVQFixtureReport [modelDir=models/velox-tiny] [queryStride=8]}
 */
public final class CommVQFixtureReport {
    private CommVQFixtureReport() {
    }

    /** A way to turn a layer's keys into reconstructed post-RoPE keys, [kvHeads][seq][D]. */
    private interface KeyMethod {
        String name();

        float[] reconstructPostRope(float[] kPre, float[] kPost, int kvHeads, int seq, int d, RotaryEmbedding rope,
                                    double[] bitsOut);
    }

    public static void main(String[] args) throws IOException {
        Path modelDir = Path.of(args.length > 0 ? args[0] : "models/velox-tiny");
        int queryStride = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        String cfg = Files.readString(modelDir.resolve("config.json"));
        int heads = intField(cfg, "num_attention_heads");
        int kvHeads = intField(cfg, "num_key_value_heads");
        int hidden = intField(cfg, "hidden_size");
        int d = cfg.contains("\"head_dim\"") ? intField(cfg, "head_dim") : hidden / heads;
        double theta = cfg.contains("\"rope_theta\"") ? numField(cfg, "rope_theta") : 10000;
        RotaryEmbedding rope = RotaryEmbedding.standard(d, theta, RopeLayout.HALF);
        Map<String, F16SafeTensors.Tensor> fx = F16SafeTensors.read(modelDir.resolve("reference/kv.safetensors"));
        int layers = 0;
        while (fx.containsKey("layer" + layers + ".k_pre")) {
            layers++;
        }
        System.out.printf(Locale.ROOT, "# %s: %d layers, %d heads / %d KV heads, head_dim %d, rope_theta %.0f, %d fixture tokens%n",
                modelDir, layers, heads, kvHeads, d, theta, fx.get("layer0.k_pre").dim(1));

        List<KeyMethod> methods = new ArrayList<>();
        methods.add(kivi(4));
        methods.add(kivi(2));
        String[] specs = System.getProperty("commvq.specs",
                "2x2,2x2/fp16steps,2x2/nonorm,2x2/g64,1x2,1x2/fp16steps,1x2/nonorm,1x2/g64,1x1").split(",");
        for (String spec : specs) {
            methods.add(commvq(spec));
        }
        Map<String, double[]> totals = new LinkedHashMap<>(); // err, ref, kl, kln, outErr, outRef, bits, n
        for (KeyMethod m : methods) {
            totals.put(m.name(), new double[8]);
        }
        for (int l = 0; l < layers; l++) {
            float[] kPre = fx.get("layer" + l + ".k_pre").data();
            float[] kPost = fx.get("layer" + l + ".k_post").data();
            float[] v = fx.get("layer" + l + ".v").data();
            float[] q = fx.get("layer" + l + ".q").data();
            int seq = fx.get("layer" + l + ".k_pre").dim(1);
            for (KeyMethod m : methods) {
                double[] bits = new double[1];
                float[] kHat = m.reconstructPostRope(kPre, kPost, kvHeads, seq, d, rope, bits);
                double[] t = totals.get(m.name());
                for (int i = 0; i < kPost.length; i++) {
                    double e = kHat[i] - kPost[i];
                    t[0] += e * e;
                    t[1] += (double) kPost[i] * kPost[i];
                }
                attention(q, kPost, kHat, v, heads, kvHeads, seq, d, queryStride, t);
                t[6] += bits[0];
                t[7] += 1;
            }
            System.out.printf(Locale.ROOT, "layer %d done%n", l);
        }
        System.out.println();
        System.out.println("| keys | bits/elem incl. overhead | key rel. MSE | attention KL | attention-output rel. error |");
        System.out.println("|---|---|---|---|---|");
        for (KeyMethod m : methods) {
            double[] t = totals.get(m.name());
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3e | %.3e | %.3e |%n", m.name(), t[6] / t[7], t[0] / t[1], t[2] / t[3],
                    Math.sqrt(t[4] / t[5]));
        }
    }

    private static KeyMethod commvq(String spec) {
        String[] parts = spec.split("/");
        String[] br = parts[0].split("x");
        int bits = Integer.parseInt(br[0]);
        int res = Integer.parseInt(br[1]);
        int group = spec.contains("g64") ? 64 : 32;
        boolean norm = !spec.contains("nonorm");
        boolean compact = norm && !spec.contains("fp16steps");
        return new KeyMethod() {
            @Override
            public String name() {
                return "commvq " + spec + " (" + bits * res + "-bit)";
            }

            @Override
            public float[] reconstructPostRope(float[] kPre, float[] kPost, int kvHeads, int seq, int d, RotaryEmbedding rope,
                                               double[] bitsOut) {
                CommVQQuantizer qz = new CommVQQuantizer(bits, res, RopeLayout.HALF, group, norm, compact);
                KVTensor in = new KVTensor(1, kvHeads, seq, d, kPre.clone());
                CommVQEncoded e = qz.encode(in);
                bitsOut[0] = e.bitsPerElement();
                float[] out = qz.decode(e).data();
                for (int h = 0; h < kvHeads; h++) {
                    for (int t = 0; t < seq; t++) {
                        rotateExact(rope, out, (h * seq + t) * d, t);
                    }
                }
                return out;
            }
        };
    }

    private static KeyMethod kivi(int bits) {
        return new KeyMethod() {
            @Override
            public String name() {
                return "int" + bits + " (KIVI)";
            }

            @Override
            public float[] reconstructPostRope(float[] kPre, float[] kPost, int kvHeads, int seq, int d, RotaryEmbedding rope,
                                               double[] bitsOut) {
                UniformQuantizer q = UniformQuantizer.forKeys(bits, 32);
                UniformEncodedTensor e = q.encode(new KVTensor(1, kvHeads, seq, d, kPost.clone()));
                bitsOut[0] = e.bitsPerElement();
                return q.decode(e).data();
            }
        };
    }

    /** Causal attention of every {@code stride}-th query against exact and reconstructed keys; adds KL and output error. */
    private static void attention(float[] q, float[] k, float[] kHat, float[] v, int heads, int kvHeads, int seq, int d,
                                  int stride, double[] t) {
        int group = heads / kvHeads;
        double scale = 1.0 / Math.sqrt(d);
        double[] a = new double[seq];
        double[] b = new double[seq];
        for (int h = 0; h < heads; h++) {
            int kh = h / group;
            for (int pos = stride - 1; pos < seq; pos += stride) {
                int qo = (h * seq + pos) * d;
                double ma = Double.NEGATIVE_INFINITY;
                double mb = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= pos; s++) {
                    int ko = (kh * seq + s) * d;
                    double x = 0;
                    double y = 0;
                    for (int i = 0; i < d; i++) {
                        x += q[qo + i] * k[ko + i];
                        y += q[qo + i] * kHat[ko + i];
                    }
                    a[s] = x * scale;
                    b[s] = y * scale;
                    ma = Math.max(ma, a[s]);
                    mb = Math.max(mb, b[s]);
                }
                double za = 0;
                double zb = 0;
                for (int s = 0; s <= pos; s++) {
                    a[s] = Math.exp(a[s] - ma);
                    b[s] = Math.exp(b[s] - mb);
                    za += a[s];
                    zb += b[s];
                }
                double kl = 0;
                for (int s = 0; s <= pos; s++) {
                    double pa = a[s] / za;
                    double pb = b[s] / zb;
                    if (pa > 0) {
                        kl += pa * Math.log(pa / Math.max(pb, 1e-300));
                    }
                }
                t[2] += kl;
                t[3] += 1;
                for (int i = 0; i < d; i++) {
                    double oa = 0;
                    double ob = 0;
                    for (int s = 0; s <= pos; s++) {
                        double vv = v[(kh * seq + s) * d + i];
                        oa += a[s] / za * vv;
                        ob += b[s] / zb * vv;
                    }
                    t[4] += (oa - ob) * (oa - ob);
                    t[5] += oa * oa;
                }
            }
        }
    }

    private static void rotateExact(RotaryEmbedding rope, float[] v, int off, int pos) {
        int d = rope.headDim();
        for (int p = 0; p < rope.pairs(); p++) {
            double ang = rope.angle(p, pos);
            double c = Math.cos(ang);
            double s = Math.sin(ang);
            int i = off + rope.layout().first(p, d);
            int j = off + rope.layout().second(p, d);
            double x = v[i];
            double y = v[j];
            v[i] = (float) (x * c - y * s);
            v[j] = (float) (x * s + y * c);
        }
    }

    private static int intField(String json, String name) {
        return (int) numField(json, name);
    }

    private static double numField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("config.json has no " + name);
        }
        return Double.parseDouble(m.group(1));
    }
}
