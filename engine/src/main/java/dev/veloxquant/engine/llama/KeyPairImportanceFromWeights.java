package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.KeyPairImportance;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.engine.kernel.Matrix;
import dev.veloxquant.engine.model.ModelConfig;

/**
 * Data-free estimate, from the attention weights alone, of how much each RoPE pair of each KV head
 * weighs in the attention scores: {@code E|q_p|²} summed over the query heads that read the KV head,
 * times {@code E|k_p|²}. With the RMS-normalised input taken as isotropic, {@code E[(w·x̂)²] ∝ |w ⊙ γ|²}
 * for a projection row {@code w} and the layer's input-norm weight {@code γ}; a query bias adds its
 * square. The key bias is left out: the CommVQ block grids absorb a constant offset.
 */
final class KeyPairImportanceFromWeights {
    private KeyPairImportanceFromWeights() {
    }

    static KeyPairImportance of(LlamaWeights weights, ModelConfig config, RopeLayout layout) {
        int layers = config.numLayers();
        int kvHeads = config.numKvHeads();
        int group = config.numHeads() / kvHeads;
        int d = config.headDim();
        int pairs = d / 2;
        float[][][] out = new float[layers][kvHeads][pairs];
        for (int l = 0; l < layers; l++) {
            LlamaWeights.Layer layer = weights.layers().get(l);
            double[] q = rowEnergies(layer.q(), layer.inputNorm(), layer.qBias());
            double[] k = rowEnergies(layer.k(), layer.inputNorm(), null);
            for (int h = 0; h < kvHeads; h++) {
                for (int p = 0; p < pairs; p++) {
                    int a = layout.first(p, d);
                    int b = layout.second(p, d);
                    double qe = 0;
                    for (int g = 0; g < group; g++) {
                        int qh = (h * group + g) * d;
                        qe += q[qh + a] + q[qh + b];
                    }
                    double ke = k[h * d + a] + k[h * d + b];
                    out[l][h][p] = (float) Math.max(qe * ke, Float.MIN_NORMAL);
                }
            }
        }
        return new KeyPairImportance(out);
    }

    /** {@code |W[r] ⊙ γ|² (+ bias[r]²)} for every row {@code r}. */
    private static double[] rowEnergies(Matrix w, float[] gamma, float[] bias) {
        double[] e = new double[w.rows()];
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.row(r, row, 0);
            double s = 0;
            for (int c = 0; c < row.length; c++) {
                double v = (double) row[c] * gamma[c];
                s += v * v;
            }
            if (bias != null) {
                s += (double) bias[r] * bias[r];
            }
            e[r] = s;
        }
        return e;
    }
}
