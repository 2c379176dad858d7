package dev.veloxquant.engine.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a small randomly initialised Llama-family model (config.json + safetensors) to a directory,
 * so tests can load it exactly as they would a Hugging Face checkpoint.
 */
public final class TinyModelWriter {
    public String architecture = "LlamaForCausalLM";
    public int hidden = 64;
    public int intermediate = 96;
    public int layers = 2;
    public int heads = 4;
    public int kvHeads = 2;
    public Integer headDim = null;
    public int vocab = 260;
    public int context = 128;
    public String dtype = "BF16";
    public boolean tied = true;
    public boolean transformers5 = false;
    public String ropeScalingJson = null;
    public boolean sharded = false;
    public long seed = 42;

    public int effectiveHeadDim() {
        return headDim != null ? headDim : hidden / heads;
    }

    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Random rnd = new Random(seed);
        int hd = effectiveHeadDim();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        put(tensors, shapes, "model.embed_tokens.weight", rnd, 1.0f, vocab, hidden);
        boolean qwen = architecture.equals("Qwen2ForCausalLM");
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            norm(tensors, shapes, p + "input_layernorm.weight", rnd, hidden);
            put(tensors, shapes, p + "self_attn.q_proj.weight", rnd, scale(hidden), heads * hd, hidden);
            put(tensors, shapes, p + "self_attn.k_proj.weight", rnd, scale(hidden), kvHeads * hd, hidden);
            put(tensors, shapes, p + "self_attn.v_proj.weight", rnd, scale(hidden), kvHeads * hd, hidden);
            if (qwen) {
                put(tensors, shapes, p + "self_attn.q_proj.bias", rnd, 0.5f, heads * hd);
                put(tensors, shapes, p + "self_attn.k_proj.bias", rnd, 0.5f, kvHeads * hd);
                put(tensors, shapes, p + "self_attn.v_proj.bias", rnd, 0.5f, kvHeads * hd);
            }
            put(tensors, shapes, p + "self_attn.o_proj.weight", rnd, scale(heads * hd), hidden, heads * hd);
            norm(tensors, shapes, p + "post_attention_layernorm.weight", rnd, hidden);
            put(tensors, shapes, p + "mlp.gate_proj.weight", rnd, scale(hidden), intermediate, hidden);
            put(tensors, shapes, p + "mlp.up_proj.weight", rnd, scale(hidden), intermediate, hidden);
            put(tensors, shapes, p + "mlp.down_proj.weight", rnd, scale(intermediate), hidden, intermediate);
        }
        norm(tensors, shapes, "model.norm.weight", rnd, hidden);
        if (!tied) {
            put(tensors, shapes, "lm_head.weight", rnd, scale(hidden) * 4, vocab, hidden);
        }
        if (sharded) {
            List<String> names = new ArrayList<>(tensors.keySet());
            int half = names.size() / 2;
            StringBuilder map = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            for (int i = 0; i < names.size(); i++) {
                String file = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                map.append(i > 0 ? ", " : "").append('"').append(names.get(i)).append("\": \"").append(file).append('"');
            }
            map.append("}}");
            writeSafetensors(dir.resolve("model-00001-of-00002.safetensors"), sub(tensors, names.subList(0, half)), shapes);
            writeSafetensors(dir.resolve("model-00002-of-00002.safetensors"), sub(tensors, names.subList(half, names.size())), shapes);
            Files.writeString(dir.resolve("model.safetensors.index.json"), map);
        } else {
            writeSafetensors(dir.resolve("model.safetensors"), tensors, shapes);
        }
        Files.writeString(dir.resolve("config.json"), config());
        return dir;
    }

    private static Map<String, float[]> sub(Map<String, float[]> all, List<String> names) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, all.get(n));
        }
        return m;
    }

    private static float scale(int fanIn) {
        return (float) (1.0 / Math.sqrt(fanIn));
    }

    private static void put(Map<String, float[]> t, Map<String, long[]> s, String name, Random rnd, float std, int... shape) {
        int n = 1;
        long[] ls = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            ls[i] = shape[i];
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * std;
        }
        t.put(name, v);
        s.put(name, ls);
    }

    private static void norm(Map<String, float[]> t, Map<String, long[]> s, String name, Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = 1f + 0.2f * (float) rnd.nextGaussian();
        }
        t.put(name, v);
        s.put(name, new long[]{n});
    }

    private String config() {
        String rope = transformers5
                ? "\"rope_parameters\": " + (ropeScalingJson != null ? ropeScalingJson : "{\"rope_type\": \"default\", \"rope_theta\": 10000.0}")
                : "\"rope_theta\": 10000.0, \"rope_scaling\": " + (ropeScalingJson != null ? ropeScalingJson : "null");
        String dt = switch (dtype) {
            case "BF16" -> "bfloat16";
            case "F16" -> "float16";
            default -> "float32";
        };
        return "{\n  \"architectures\": [\"" + architecture + "\"],\n"
                + "  \"model_type\": \"llama\", \"hidden_act\": \"silu\",\n"
                + "  \"hidden_size\": " + hidden + ", \"intermediate_size\": " + intermediate + ",\n"
                + "  \"num_hidden_layers\": " + layers + ", \"num_attention_heads\": " + heads + ", \"num_key_value_heads\": " + kvHeads + ",\n"
                + (headDim != null ? "  \"head_dim\": " + headDim + ",\n" : "")
                + "  \"vocab_size\": " + vocab + ", \"max_position_embeddings\": " + context + ", \"rms_norm_eps\": 1e-05,\n"
                + "  " + rope + ",\n"
                + "  \"tie_word_embeddings\": " + tied + ", \"bos_token_id\": 256, \"eos_token_id\": 257,\n"
                + "  \"" + (transformers5 ? "dtype" : "torch_dtype") + "\": \"" + dt + "\"\n}\n";
    }

    private void writeSafetensors(Path file, Map<String, float[]> tensors, Map<String, long[]> shapes) throws IOException {
        int width = dtype.equals("F32") ? 4 : 2;
        StringBuilder h = new StringBuilder("{\"__metadata__\": {\"format\": \"pt\"}");
        long off = 0;
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            long len = (long) e.getValue().length * width;
            long[] shape = shapes.get(e.getKey());
            StringBuilder sh = new StringBuilder();
            for (int i = 0; i < shape.length; i++) {
                sh.append(i > 0 ? ", " : "").append(shape[i]);
            }
            h.append(", \"").append(e.getKey()).append("\": {\"dtype\": \"").append(dtype).append("\", \"shape\": [")
                    .append(sh).append("], \"data_offsets\": [").append(off).append(", ").append(off + len).append("]}");
            off += len;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + header.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        for (float[] v : tensors.values()) {
            for (float f : v) {
                switch (dtype) {
                    case "BF16" -> buf.putShort(toBf16(f));
                    case "F16" -> buf.putShort(Float.floatToFloat16(f));
                    default -> buf.putFloat(f);
                }
            }
        }
        Files.write(file, buf.array());
    }

    /** Round-to-nearest-even, as torch does when casting to bfloat16. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
