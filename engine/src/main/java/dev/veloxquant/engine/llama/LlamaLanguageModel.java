package dev.veloxquant.engine.llama;

import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.chat.ChatTemplate;
import dev.veloxquant.engine.generation.GenerationLoop;
import dev.veloxquant.engine.kernel.Parallel;
import dev.veloxquant.engine.model.GenerationConfig;
import dev.veloxquant.engine.model.ModelConfig;
import dev.veloxquant.engine.safetensors.SafeTensorsArchive;
import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A loaded Llama-family model: mapped weights, tokenizer, chat template and a thread pool shared by
 * every generation. Thread-safe; each generation owns its activations and KV cache.
 */
public final class LlamaLanguageModel implements LanguageModel {
    private final String id;
    private final ModelConfig config;
    private final GenerationConfig generationConfig;
    private final SafeTensorsArchive archive;
    private final Parallel par;
    private final LlamaForward forward;
    private final TextTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final GenerationLoop loop;

    private LlamaLanguageModel(String id, ModelConfig config, GenerationConfig generationConfig, SafeTensorsArchive archive,
                               Parallel par, LlamaForward forward, TextTokenizer tokenizer, ChatTemplate chatTemplate) {
        this.id = id;
        this.config = config;
        this.generationConfig = generationConfig;
        this.archive = archive;
        this.par = par;
        this.forward = forward;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        Set<Integer> eos = new LinkedHashSet<>(tokenizer.eosIds());
        eos.addAll(config.eosTokenIds());
        eos.addAll(generationConfig.eosTokenIds());
        this.loop = new GenerationLoop(forward, tokenizer, eos);
    }

    /** Loads the weights of {@code modelDir} with the given tokenizer and template, on {@code threads} threads. */
    public static LlamaLanguageModel load(Path modelDir, String id, Consumer<String> progress, TextTokenizer tokenizer,
                                          ChatTemplate chatTemplate, int threads) {
        ModelConfig config = ModelConfig.read(modelDir);
        progress.accept("config: " + config.architecture().hfName() + ", " + config.numLayers() + " layers, hidden "
                + config.hiddenSize() + ", heads " + config.numHeads() + "/" + config.numKvHeads() + ", head_dim "
                + config.headDim() + ", vocab " + config.vocabSize() + ", context " + config.contextLength()
                + ", rope " + config.rope().type() + " theta " + config.rope().theta() + ", dtype " + config.dtype());
        GenerationConfig gen = GenerationConfig.read(modelDir);
        SafeTensorsArchive archive = SafeTensorsArchive.open(modelDir, progress);
        try {
            LlamaWeights weights = LlamaWeights.load(archive, config, progress);
            ModelGeometry geometry = new ModelGeometry(id, config.numLayers(), config.numHeads(), config.numKvHeads(),
                    config.headDim(), config.contextLength(), config.rope().embedding(config.headDim(), config.ropeLayout()),
                    modelDir);
            geometry = geometry.withKeyPairImportance(KeyPairImportanceFromWeights.of(weights, config, config.ropeLayout()));
            Parallel par = new Parallel(threads);
            progress.accept("ready: " + id + " on " + threads + " threads");
            return new LlamaLanguageModel(id, config, gen, archive, par, new LlamaForward(config, weights, geometry, par),
                    tokenizer, chatTemplate);
        } catch (RuntimeException e) {
            archive.close();
            throw e;
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public ModelGeometry geometry() {
        return forward.geometry();
    }

    @Override
    public int contextLength() {
        return config.contextLength();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    public ModelConfig config() {
        return config;
    }

    /** The model's suggested sampling defaults from generation_config.json. */
    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    /** The raw forward pass (parity tests, perplexity, benchmarks). */
    public LlamaForward forward() {
        return forward;
    }

    @Override
    public GenerationResult generate(GenerationRequest request, GenerationListener listener, BooleanSupplier cancelled) {
        return loop.run(request, listener == null ? GenerationListener.NONE : listener, cancelled == null ? () -> false : cancelled);
    }

    @Override
    public void close() {
        par.close();
        archive.close();
    }
}
