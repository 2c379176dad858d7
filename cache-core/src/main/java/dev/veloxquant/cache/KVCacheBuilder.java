package dev.veloxquant.cache;

import dev.veloxquant.cache.commvq.CommVQCodebook;
import dev.veloxquant.cache.commvq.CommVQCodebooks;
import dev.veloxquant.cache.commvq.CommVQKVCache;
import dev.veloxquant.cache.commvq.CommVQQuantizer;
import dev.veloxquant.cache.fp16.Fp16KVCache;
import dev.veloxquant.cache.turboquant.TurboQuantKVCache;
import dev.veloxquant.cache.uniform.UniformKVCache;

import java.util.ArrayList;
import java.util.List;

/** Builds the per-layer KV caches of one sequence for a model and a {@link KVCacheConfig}. */
public final class KVCacheBuilder {
    private KVCacheBuilder() {
    }

    public static SequenceKVCache build(ModelGeometry model, KVCacheConfig config) {
        // Resolved (and validated) once per sequence; loaded files are cached per path.
        CommVQCodebook codebook = config.method() == KVCacheMethod.COMMVQ ? CommVQCodebooks.resolve(model, config) : null;
        List<KVCache> layers = new ArrayList<>(model.numLayers());
        for (int layer = 0; layer < model.numLayers(); layer++) {
            layers.add(switch (config.method()) {
                case FP16 -> new Fp16KVCache(model.numKvHeads(), model.headDim());
                case INT8, INT4, INT2 -> new UniformKVCache(model.numKvHeads(), model.headDim(),
                        config.nominalKeyBits(), config.effectiveValueBits(), config.groupSize(), config.windowSize());
                case TURBOQUANT -> new TurboQuantKVCache(layer, model.numKvHeads(), model.headDim(), config.bits(),
                        config.numResiduals(), config.effectiveValueBits(), config.windowSize());
                case COMMVQ -> new CommVQKVCache(model.numKvHeads(), model.headDim(), model.rope(),
                        new CommVQQuantizer(config.bits(), config.numResiduals(), model.rope().layout(),
                                config.groupSize()).paramsFor(model.headDim()),
                        config.windowSize(), config.effectiveValueBits(), CommVQCodebooks.SINK_TOKENS, codebook, layer,
                        model.keyPairImportance() == null ? null : model.keyPairImportance().layer(layer));
                default -> throw new InvalidKVCacheConfigException("method",
                        "KV-cache method " + config.method() + " is not available yet");
            });
        }
        return new SequenceKVCache(config, layers);
    }
}
