package dev.veloxquant.cache;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a KV cache needs to know about a model: attention shapes, the rotary embedding (for caches
 * that store keys before RoPE) and where the model lives (for an optional calibrated codebook file).
 *
 * @param modelDir the model directory, or {@code null} for a model without one (tests)
 */
public record ModelGeometry(String modelId, int numLayers, int numHeads, int numKvHeads, int headDim,
                            int maxContext, RotaryEmbedding rope, Path modelDir) {
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
