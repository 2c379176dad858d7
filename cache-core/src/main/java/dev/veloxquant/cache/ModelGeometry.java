package dev.veloxquant.cache;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a KV cache needs to know about a model: attention shapes, the rotary embedding (for caches
 * that store keys before RoPE) and where the model lives (for an optional calibrated codebook file).
 *
 * @param modelDir          the model directory, or {@code null} for a model without one (tests)
 * @param keyPairImportance per layer, KV head and RoPE pair, how much key error there weighs in the
 *                          scores (from the weights), or {@code null}: CommVQ then gives every pair
 *                          the same bits
 */
public record ModelGeometry(String modelId, int numLayers, int numHeads, int numKvHeads, int headDim,
                            int maxContext, RotaryEmbedding rope, Path modelDir, KeyPairImportance keyPairImportance) {
    public ModelGeometry(String modelId, int numLayers, int numHeads, int numKvHeads, int headDim, int maxContext,
                         RotaryEmbedding rope, Path modelDir) {
        this(modelId, numLayers, numHeads, numKvHeads, headDim, maxContext, rope, modelDir, null);
    }

    public ModelGeometry {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(rope, "rope");
        if (numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || headDim <= 0 || maxContext <= 0) {
            throw new IllegalArgumentException("model geometry must be positive: " + numLayers + "/" + numHeads + "/"
                    + numKvHeads + "/" + headDim + "/" + maxContext);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " is not a multiple of numKvHeads " + numKvHeads);
        }
        if (rope.headDim() != headDim) {
            throw new IllegalArgumentException("rope headDim " + rope.headDim() + " != headDim " + headDim);
        }
        if (keyPairImportance != null && !keyPairImportance.fits(numLayers, numKvHeads, headDim / 2)) {
            throw new IllegalArgumentException("key pair importance does not match " + numLayers + " layers x "
                    + numKvHeads + " KV heads x " + headDim / 2 + " pairs");
        }
    }

    /** The same geometry with these key pair importances. */
    public ModelGeometry withKeyPairImportance(KeyPairImportance importance) {
        return new ModelGeometry(modelId, numLayers, numHeads, numKvHeads, headDim, maxContext, rope, modelDir, importance);
    }

    /** Query heads that share one KV head (grouped-query attention). */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** Elements of K (or of V) per token per layer. */
    public int kvDim() {
        return numKvHeads * headDim;
    }
}
