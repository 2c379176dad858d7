package dev.veloxquant.engine.generation;

import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;

/** A decoder-only model as the generation loop sees it: tokens in, next-token logits out. */
public interface CausalLm {

    ModelGeometry geometry();

    int vocabSize();

    int contextLength();

    /**
     * Runs {@code count} tokens at positions {@code cache.size() ..}, appending their keys and values
     * to {@code cache}. Returns the logits of the last token ({@code vocab} floats) or, with
     * {@code allLogits}, of every token ({@code count x vocab}).
     */
    float[] forward(int[] tokens, int off, int count, SequenceKVCache cache, boolean allLogits);
}
