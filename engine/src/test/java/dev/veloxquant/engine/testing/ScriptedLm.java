package dev.veloxquant.engine.testing;

import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.generation.CausalLm;

/**
 * A model that always predicts the next token of a fixed script (logit 10 for it, 0 elsewhere), so
 * generation-loop tests control exactly which tokens come out. It still feeds the real KV cache.
 */
public final class ScriptedLm implements CausalLm {
    private static final int HEAD_DIM = 8;
    private final int[] script;
    private final int vocab;
    private final ModelGeometry geometry = new ModelGeometry("scripted", 1, 1, 1, HEAD_DIM, 512,
            RotaryEmbedding.standard(HEAD_DIM, 10000, RopeLayout.HALF), null);
    private int promptLength = -1;

    public ScriptedLm(int vocab, int... script) {
        this.vocab = vocab;
        this.script = script;
    }

    @Override
    public ModelGeometry geometry() {
        return geometry;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return 512;
    }

    @Override
    public float[] forward(int[] tokens, int off, int count, SequenceKVCache cache, boolean allLogits) {
        if (cache.size() == 0) {
            promptLength = count;
        }
        float[] zeros = new float[count * HEAD_DIM];
        cache.layer(0).append(zeros, 0, zeros, 0, count);
        int rows = allLogits ? count : 1;
        float[] logits = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            int pos = cache.size() - rows + r;
            int next = pos + 1 - promptLength;
            if (next >= 0 && next < script.length) {
                logits[r * vocab + script[next]] = 10f;
            }
        }
        return logits;
    }

    public static int[] bytes(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }
}
