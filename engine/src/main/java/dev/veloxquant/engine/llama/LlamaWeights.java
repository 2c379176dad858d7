package dev.veloxquant.engine.llama;

import dev.veloxquant.engine.kernel.Matmul;
import dev.veloxquant.engine.kernel.Matrix;
import dev.veloxquant.engine.model.ModelConfig;
import dev.veloxquant.engine.safetensors.SafeTensorsArchive;
import dev.veloxquant.engine.safetensors.Tensor;
import dev.veloxquant.engine.safetensors.UnsupportedModelException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The weights of a Llama-family model under Hugging Face tensor names. Matrices stay in the mapped
 * files in their stored dtype; norms and biases (small) are copied to fp32 arrays.
 */
public record LlamaWeights(Matrix embed, List<Layer> layers, float[] finalNorm, Matrix lmHead) {

    /** One decoder layer; a bias is null when the checkpoint has none. */
    public record Layer(float[] inputNorm, Matrix q, Matrix k, Matrix v, float[] qBias, float[] kBias, float[] vBias,
                        Matrix o, float[] oBias, float[] postNorm, Matrix gate, Matrix up, Matrix down,
                        float[] gateBias, float[] upBias, float[] downBias) {
    }

    public static LlamaWeights load(SafeTensorsArchive st, ModelConfig c, Consumer<String> progress) {
        int d = c.hiddenSize();
        Matrix embed = matrix(st, "model.embed_tokens.weight", c.vocabSize(), d);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            String m = p + "mlp.";
            layers.add(new Layer(
                    vector(st, p + "input_layernorm.weight", d),
                    matrix(st, a + "q_proj.weight", c.qDim(), d),
                    matrix(st, a + "k_proj.weight", c.kvDim(), d),
                    matrix(st, a + "v_proj.weight", c.kvDim(), d),
                    bias(st, a + "q_proj.bias", c.qDim(), c.qkvBias()),
                    bias(st, a + "k_proj.bias", c.kvDim(), c.qkvBias()),
                    bias(st, a + "v_proj.bias", c.kvDim(), c.qkvBias()),
                    matrix(st, a + "o_proj.weight", d, c.qDim()),
                    bias(st, a + "o_proj.bias", d, false),
                    vector(st, p + "post_attention_layernorm.weight", d),
                    matrix(st, m + "gate_proj.weight", c.intermediateSize(), d),
                    matrix(st, m + "up_proj.weight", c.intermediateSize(), d),
                    matrix(st, m + "down_proj.weight", d, c.intermediateSize()),
                    bias(st, m + "gate_proj.bias", c.intermediateSize(), false),
                    bias(st, m + "up_proj.bias", c.intermediateSize(), false),
                    bias(st, m + "down_proj.bias", d, false)));
            progress.accept("layer " + (i + 1) + "/" + c.numLayers() + " ready");
        }
        float[] norm = vector(st, "model.norm.weight", d);
        // Tied models use the embedding as LM head even when a copy of it was saved as lm_head.weight.
        Matrix head = c.tiedEmbeddings() ? embed : matrix(st, "lm_head.weight", c.vocabSize(), d);
        return new LlamaWeights(embed, List.copyOf(layers), norm, head);
    }

    private static Matrix matrix(SafeTensorsArchive st, String name, int rows, int cols) {
        return Matmul.of(st.get(name).requireShape(rows, cols));
    }

    private static float[] vector(SafeTensorsArchive st, String name, int n) {
        return st.get(name).requireShape(n).toFloatArray();
    }

    private static float[] bias(SafeTensorsArchive st, String name, int n, boolean required) {
        if (!st.contains(name)) {
            if (required) {
                throw new UnsupportedModelException("missing tensor '" + name + "' (this architecture has q/k/v biases)");
            }
            return null;
        }
        Tensor t = st.get(name).requireShape(n);
        return t.toFloatArray();
    }
}
