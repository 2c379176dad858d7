package dev.veloxquant.engine.model;

import dev.veloxquant.engine.llama.LlamaLanguageModel;
import dev.veloxquant.engine.safetensors.UnsupportedModelException;
import dev.veloxquant.engine.testing.ByteTokenizer;
import dev.veloxquant.engine.testing.TinyModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class ModelConfigTest {
    @TempDir
    Path tmp;

    private static ModelConfig parse(String json) {
        return ModelConfig.parse(JsonMapper.builder().build().readTree(json));
    }

    private static final String BASE = "\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, \"intermediate_size\": 14336,"
            + " \"num_hidden_layers\": 32, \"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"vocab_size\": 128256,"
            + " \"max_position_embeddings\": 131072, \"rms_norm_eps\": 1e-05";

    @Test
    void transformers4Llama31WithLlama3Scaling() {
        ModelConfig c = parse("{" + BASE + ", \"rope_theta\": 500000.0, \"torch_dtype\": \"bfloat16\", \"eos_token_id\": [128001, 128008, 128009],"
                + " \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}");
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.dtype()).isEqualTo("bfloat16");
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(c.rope().type()).isEqualTo("llama3");
        float[] scaled = c.rope().inverseFrequencies(128);
        float[] plain = new RopeScaling("default", 500000.0, 1, 1, 1, 0).inverseFrequencies(128);
        // High frequencies (wavelength < 8192/4) are untouched, low ones (> 8192) divided by the factor.
        assertThat(scaled[0]).isEqualTo(plain[0]);
        assertThat(scaled[63]).isCloseTo(plain[63] / 8f, offset(plain[63] * 1e-6f));
        int medium = 0;
        for (int i = 0; i < 64; i++) {
            double wavelen = 2 * Math.PI / plain[i];
            if (wavelen >= 2048 && wavelen <= 8192) {
                medium++;
                double smooth = (8192 / wavelen - 1.0) / (4.0 - 1.0);
                double expected = (1 - smooth) * plain[i] / 8 + smooth * plain[i];
                assertThat((double) scaled[i]).isCloseTo(expected, offset(expected * 1e-6));
                assertThat(scaled[i]).isLessThan(plain[i]).isGreaterThan(plain[i] / 8);
            }
        }
        assertThat(medium).isPositive();
    }

    @Test
    void transformers5LayoutWithRopeParametersAndLinearScaling() {
        ModelConfig c = parse("{" + BASE + ", \"dtype\": \"float16\", \"head_dim\": 96,"
                + " \"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 4.0, \"rope_theta\": 1000000.0}}");
        assertThat(c.headDim()).isEqualTo(96);
        assertThat(c.dtype()).isEqualTo("float16");
        assertThat(c.rope().theta()).isEqualTo(1000000.0);
        float[] f = c.rope().inverseFrequencies(96);
        assertThat(f[1]).isCloseTo((float) (Math.pow(1e6, -2.0 / 96) / 4), offset(1e-7f));
    }

    @Test
    void qwen2HasQkvBiasAndMistralSlidingWindowCapsContext() {
        ModelConfig q = parse("{" + BASE.replace("LlamaForCausalLM", "Qwen2ForCausalLM") + ", \"sliding_window\": 4096, \"use_sliding_window\": false}");
        assertThat(q.qkvBias()).isTrue();
        assertThat(q.contextLength()).isEqualTo(131072);
        ModelConfig m = parse("{" + BASE.replace("LlamaForCausalLM", "MistralForCausalLM") + ", \"sliding_window\": 4096}");
        assertThat(m.qkvBias()).isFalse();
        assertThat(m.contextLength()).isEqualTo(4096);
    }

    @Test
    void unsupportedThingsFailNamingThem() {
        assertThatThrownBy(() -> parse("{" + BASE.replace("LlamaForCausalLM", "GPT2LMHeadModel") + "}"))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("GPT2LMHeadModel");
        assertThatThrownBy(() -> parse("{" + BASE + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}"))
                .hasMessageContaining("yarn");
        assertThatThrownBy(() -> parse("{" + BASE.replace("\"hidden_size\": 4096,", "") + "}"))
                .hasMessageContaining("hidden_size");
    }

    @Test
    void missingTensorAndUnsupportedDtypeFailAtLoadNamingThem() throws Exception {
        TinyModelWriter w = new TinyModelWriter();
        Path dir = w.write(tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));
        assertThatThrownBy(() -> LlamaLanguageModel.load(dir, "m", s -> { }, new ByteTokenizer(), (m, g) -> "", 1))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("lm_head.weight");

        Path st = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(st);
        String all = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(st, all.replaceFirst("\"BF16\"", "\"I8\"  ").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> LlamaLanguageModel.load(dir, "m", s -> { }, new ByteTokenizer(), (m, g) -> "", 1))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("I8");
    }

    @Test
    void generationConfigIsRead() throws Exception {
        Files.writeString(tmp.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": [2, 7], \"temperature\": 0.6, \"top_p\": 0.9, \"do_sample\": true}");
        GenerationConfig g = GenerationConfig.read(tmp);
        assertThat(g.eosTokenIds()).containsExactlyInAnyOrder(2, 7);
        assertThat(g.temperature()).isEqualTo(0.6);
        assertThat(g.topP()).isEqualTo(0.9);
        assertThat(GenerationConfig.read(tmp.resolve("nowhere"))).isEqualTo(GenerationConfig.NONE);
    }
}
