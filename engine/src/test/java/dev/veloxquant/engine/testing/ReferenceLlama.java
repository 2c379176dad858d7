package dev.veloxquant.engine.testing;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.engine.safetensors.SafeTensorsArchive;

import java.nio.file.Path;

/**
 * A naive scalar Llama forward pass written straight from the transformers modeling code, in double
 * where it is cheap, with fp32 keys and values kept in plain arrays: the yardstick for the engine.
 */
public final class ReferenceLlama {
    private final TinyModelWriter spec;
    private final SafeTensorsArchive st;

    public ReferenceLlama(Path dir, TinyModelWriter spec) {
        this.spec = spec;
        this.st = SafeTensorsArchive.open(dir, s -> { });
    }

    private float[] t(String name) {
        return st.get(name).toFloatArray();
    }

    /** Logits for every position of {@code tokens}: {@code [tokens.length][vocab]}. */
    public float[][] logits(int[] tokens) {
        int n = tokens.length;
        int d = spec.hidden;
        int hd = spec.effectiveHeadDim();
        int heads = spec.heads;
        int kvh = spec.kvHeads;
        int group = heads / kvh;
        RotaryEmbedding rope = RotaryEmbedding.standard(hd, 10000.0, RopeLayout.HALF);
        float[] embed = t("model.embed_tokens.weight");
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(embed, tokens[i] * d, x[i], 0, d);
        }
        boolean qwen = spec.architecture.equals("Qwen2ForCausalLM");
        for (int l = 0; l < spec.layers; l++) {
            String p = "model.layers." + l + ".";
            float[] wq = t(p + "self_attn.q_proj.weight");
            float[] wk = t(p + "self_attn.k_proj.weight");
            float[] wv = t(p + "self_attn.v_proj.weight");
            float[] wo = t(p + "self_attn.o_proj.weight");
            float[] bq = qwen ? t(p + "self_attn.q_proj.bias") : null;
            float[] bk = qwen ? t(p + "self_attn.k_proj.bias") : null;
            float[] bv = qwen ? t(p + "self_attn.v_proj.bias") : null;
            float[] n1 = t(p + "input_layernorm.weight");
            float[] n2 = t(p + "post_attention_layernorm.weight");
            float[] wg = t(p + "mlp.gate_proj.weight");
            float[] wu = t(p + "mlp.up_proj.weight");
            float[] wd = t(p + "mlp.down_proj.weight");
            float[][] q = new float[n][];
            float[][] k = new float[n][];
            float[][] v = new float[n][];
            for (int i = 0; i < n; i++) {
                float[] h = rms(x[i], n1);
                q[i] = linear(wq, bq, h, heads * hd);
                k[i] = linear(wk, bk, h, kvh * hd);
                v[i] = linear(wv, bv, h, kvh * hd);
                for (int hh = 0; hh < heads; hh++) {
                    rope.rotate(q[i], hh * hd, i);
                }
                for (int hh = 0; hh < kvh; hh++) {
                    rope.rotate(k[i], hh * hd, i);
                }
            }
            for (int i = 0; i < n; i++) {
                float[] att = new float[heads * hd];
                for (int hh = 0; hh < heads; hh++) {
                    int g = hh / group;
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int e = 0; e < hd; e++) {
                            dot += (double) q[i][hh * hd + e] * k[j][g * hd + e];
                        }
                        s[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int e = 0; e < hd; e++) {
                        double acc = 0;
                        for (int j = 0; j <= i; j++) {
                            acc += s[j] / sum * v[j][g * hd + e];
                        }
                        att[hh * hd + e] = (float) acc;
                    }
                }
                float[] o = linear(wo, null, att, d);
                for (int e = 0; e < d; e++) {
                    x[i][e] += o[e];
                }
                float[] h = rms(x[i], n2);
                float[] gt = linear(wg, null, h, spec.intermediate);
                float[] up = linear(wu, null, h, spec.intermediate);
                for (int e = 0; e < gt.length; e++) {
                    gt[e] = (float) (gt[e] / (1 + Math.exp(-gt[e])) * up[e]);
                }
                float[] dn = linear(wd, null, gt, d);
                for (int e = 0; e < d; e++) {
                    x[i][e] += dn[e];
                }
            }
        }
        float[] norm = t("model.norm.weight");
        float[] head = spec.tied ? embed : t("lm_head.weight");
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = linear(head, null, rms(x[i], norm), spec.vocab);
        }
        return out;
    }

    private static float[] rms(float[] x, float[] w) {
        double ss = 0;
        for (float f : x) {
            ss += (double) f * f;
        }
        double scale = 1.0 / Math.sqrt(ss / x.length + 1e-5);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * scale * w[i]);
        }
        return out;
    }

    private static float[] linear(float[] w, float[] b, float[] x, int rows) {
        int cols = x.length;
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = b == null ? 0 : b[r];
            for (int c = 0; c < cols; c++) {
                s += (double) w[r * cols + c] * x[c];
            }
            y[r] = (float) s;
        }
        return y;
    }

    public void close() {
        st.close();
    }
}
