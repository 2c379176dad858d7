package dev.veloxquant.engine.model;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.engine.safetensors.UnsupportedModelException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The parts of a Hugging Face {@code config.json} a Llama-family forward pass needs. Reads both the
 * transformers-4 layout (top-level {@code rope_theta}, {@code rope_scaling}, {@code torch_dtype}) and
 * the transformers-5 layout ({@code rope_parameters}, {@code dtype}).
 *
 * @param qkvBias       q/k/v projections carry a bias (Qwen2, or Llama's {@code attention_bias})
 * @param contextLength positions the model may attend over (the sliding window when one is set)
 * @param eosTokenIds   from config.json; may be empty
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int vocabSize, int contextLength,
                          float rmsNormEps, RopeScaling rope, RopeLayout ropeLayout, boolean tiedEmbeddings,
                          boolean qkvBias, String dtype, Integer bosTokenId, Set<Integer> eosTokenIds) {

    public enum Architecture {
        LLAMA("LlamaForCausalLM"), MISTRAL("MistralForCausalLM"), QWEN2("Qwen2ForCausalLM");

        private final String hfName;

        Architecture(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }

        static Architecture parse(String name) {
            for (Architecture a : values()) {
                if (a.hfName.equals(name)) {
                    return a;
                }
            }
            throw new UnsupportedModelException("config.json: architecture " + name
                    + " is not supported (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
        }
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new UnsupportedModelException("no config.json in " + modelDir);
        }
        try {
            return parse(JsonMapper.builder().build().readTree(Files.readString(file)));
        } catch (IOException e) {
            throw new UnsupportedModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static ModelConfig parse(JsonNode c) {
        JsonNode archs = c.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty()) {
            throw new UnsupportedModelException("config.json: field 'architectures' is missing");
        }
        Architecture arch = Architecture.parse(archs.get(0).asString());
        String act = text(c, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new UnsupportedModelException("config.json: hidden_act '" + act + "' is not supported (only silu)");
        }
        int hidden = requiredInt(c, "hidden_size");
        int heads = requiredInt(c, "num_attention_heads");
        int kvHeads = optInt(c, "num_key_value_heads", heads);
        int headDim = optInt(c, "head_dim", hidden / heads);
        if (heads % kvHeads != 0) {
            throw new UnsupportedModelException("config.json: num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int context = requiredInt(c, "max_position_embeddings");
        JsonNode sw = c.get("sliding_window");
        boolean slidingUsed = arch != Architecture.QWEN2 || c.path("use_sliding_window").asBoolean(false);
        if (sw != null && sw.isNumber() && slidingUsed && sw.asInt() < context) {
            // No sliding-window attention here: cap the context so every position sees what the model expects.
            context = sw.asInt();
        }
        boolean qkvBias = arch == Architecture.QWEN2 || c.path("attention_bias").asBoolean(false);
        String dtype = text(c, "dtype", text(c, "torch_dtype", "unknown"));
        Integer bos = c.hasNonNull("bos_token_id") ? c.get("bos_token_id").asInt() : null;
        return new ModelConfig(arch, hidden, requiredInt(c, "intermediate_size"), requiredInt(c, "num_hidden_layers"),
                heads, kvHeads, headDim, requiredInt(c, "vocab_size"), context,
                (float) c.path("rms_norm_eps").asDouble(1e-6), RopeScaling.fromConfig(c), RopeLayout.HALF,
                c.path("tie_word_embeddings").asBoolean(false), qkvBias, dtype, bos, tokenIds(c.get("eos_token_id")));
    }

    static Set<Integer> tokenIds(JsonNode n) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (n == null || n.isNull()) {
            return ids;
        }
        if (n.isArray()) {
            for (JsonNode e : n) {
                ids.add(e.asInt());
            }
        } else {
            ids.add(n.asInt());
        }
        return ids;
    }

    static int requiredInt(JsonNode c, String field) {
        JsonNode n = c.get(field);
        if (n == null || !n.isNumber()) {
            throw new UnsupportedModelException("config.json: field '" + field + "' is missing or not a number");
        }
        return n.asInt();
    }

    static int optInt(JsonNode c, String field, int dflt) {
        JsonNode n = c.get(field);
        return n == null || !n.isNumber() ? dflt : n.asInt();
    }

    static String text(JsonNode c, String field, String dflt) {
        JsonNode n = c.get(field);
        return n == null || n.isNull() ? dflt : n.asString();
    }
}
