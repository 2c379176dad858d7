package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.generation.CausalLm;
import dev.veloxquant.engine.kernel.Matmul;
import dev.veloxquant.engine.kernel.Matrix;
import dev.veloxquant.engine.kernel.Parallel;
import dev.veloxquant.engine.kernel.RmsNorm;
import dev.veloxquant.engine.kernel.Rope;
import dev.veloxquant.engine.kernel.Softmax;
import dev.veloxquant.engine.kernel.SwiGlu;
import dev.veloxquant.engine.kernel.VectorMath;
import dev.veloxquant.engine.model.ModelConfig;

/**
 * The Llama-family forward pass (Llama, Mistral, Qwen2): embeddings, per layer RMSNorm, GQA
 * attention with RoPE through the sequence's {@link KVCache}, SwiGLU MLP, final norm and LM head.
 * A batch of tokens (prefill) runs every projection as one matrix-matrix product. Stateless apart
 * from the weights: each call allocates its own activations, so sequences can run concurrently.
 */
public final class LlamaForward implements CausalLm {
    private final ModelConfig config;
    private final LlamaWeights weights;
    private final ModelGeometry geometry;
    private final Rope rope;
    private final Parallel par;

    public LlamaForward(ModelConfig config, LlamaWeights weights, ModelGeometry geometry, Parallel par) {
        this.config = config;
        this.weights = weights;
        this.geometry = geometry;
        this.rope = new Rope(geometry.rope());
        this.par = par;
    }

    @Override
    public ModelGeometry geometry() {
        return geometry;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int contextLength() {
        return config.contextLength();
    }

    public ModelConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    @Override
    public float[] forward(int[] tokens, int off, int count, SequenceKVCache cache, boolean allLogits) {
        int start = cache.size();
        if (count <= 0) {
            throw new IllegalArgumentException("forward needs at least one token");
        }
        if (start + count > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + (start + count) + " tokens exceeds the context length "
                    + config.contextLength());
        }
        int d = config.hiddenSize();
        int qDim = config.qDim();
        int kvDim = config.kvDim();
        int inter = config.intermediateSize();
        int hd = config.headDim();
        int pairs = hd / 2;
        int group = config.numHeads() / config.numKvHeads();
        float eps = config.rmsNormEps();
        float scale = (float) (1.0 / Math.sqrt(hd));

        float[] x = new float[count * d];
        for (int t = 0; t < count; t++) {
            int id = tokens[off + t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (config.vocabSize() - 1) + ")");
            }
            weights.embed().row(id, x, t * d);
        }
        // cos/sin of every position, computed once and shared by all layers.
        float[][] cos = new float[count][pairs];
        float[][] sin = new float[count][pairs];
        for (int t = 0; t < count; t++) {
            rope.cosSin(start + t, cos[t], sin[t]);
        }

        float[] h = new float[count * d];
        float[] q = new float[count * qDim];
        float[] k = new float[count * kvDim];
        float[] v = new float[count * kvDim];
        float[] att = new float[count * qDim];
        float[] o = new float[count * d];
        float[] gate = new float[count * inter];
        float[] up = new float[count * inter];
        float[] scores = new float[group * (start + count)];

        for (int l = 0; l < config.numLayers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            KVCache kv = cache.layer(l);
            for (int t = 0; t < count; t++) {
                RmsNorm.apply(x, t * d, w.inputNorm(), eps, h, t * d, d);
            }
            Matmul.multiply(par, h, count, new Matrix[]{w.q(), w.k(), w.v()}, new float[][]{q, k, v});
            addBias(q, w.qBias(), count);
            addBias(k, w.kBias(), count);
            addBias(v, w.vBias(), count);
            float[] keysForCache = kv.keysBeforeRope() ? k.clone() : k;
            for (int t = 0; t < count; t++) {
                rope.rotate(q, t * qDim, config.numHeads(), cos[t], sin[t]);
                rope.rotate(k, t * kvDim, config.numKvHeads(), cos[t], sin[t]);
            }
            kv.append(keysForCache, 0, v, 0, count);
            for (int t = 0; t < count; t++) {
                int upTo = start + t + 1;
                for (int g = 0; g < config.numKvHeads(); g++) {
                    int qOff = t * qDim + g * group * hd;
                    kv.scores(g, q, qOff, group, upTo, scores, 0);
                    for (int r = 0; r < group; r++) {
                        Softmax.apply(scores, r * upTo, upTo, scale);
                    }
                    kv.accumulateValues(g, scores, 0, group, upTo, att, qOff);
                }
            }
            Matmul.multiply(par, att, count, w.o(), o);
            addBias(o, w.oBias(), count);
            VectorMath.addInPlace(x, 0, o, 0, count * d);

            for (int t = 0; t < count; t++) {
                RmsNorm.apply(x, t * d, w.postNorm(), eps, h, t * d, d);
            }
            Matmul.multiply(par, h, count, new Matrix[]{w.gate(), w.up()}, new float[][]{gate, up});
            addBias(gate, w.gateBias(), count);
            addBias(up, w.upBias(), count);
            SwiGlu.apply(gate, up, count * inter);
            Matmul.multiply(par, gate, count, w.down(), o);
            addBias(o, w.downBias(), count);
            VectorMath.addInPlace(x, 0, o, 0, count * d);
        }

        int first = allLogits ? 0 : count - 1;
        int rows = count - first;
        float[] normed = new float[rows * d];
        for (int t = first; t < count; t++) {
            RmsNorm.apply(x, t * d, weights.finalNorm(), eps, normed, (t - first) * d, d);
        }
        float[] logits = new float[rows * config.vocabSize()];
        Matmul.multiply(par, normed, rows, weights.lmHead(), logits);
        return logits;
    }

    private static void addBias(float[] y, float[] bias, int count) {
        if (bias == null) {
            return;
        }
        for (int t = 0; t < count; t++) {
            VectorMath.addInPlace(y, t * bias.length, bias, 0, bias.length);
        }
    }
}
