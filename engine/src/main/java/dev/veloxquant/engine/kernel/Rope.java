package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Applies a {@link RotaryEmbedding} to many heads at one position with the cos/sin computed once.
 * The rotate-half layout (Hugging Face checkpoints) runs vectorized; interleaved pairs run scalar.
 * {@link RotaryEmbedding#rotate} in cache-core is the reference.
 */
public final class Rope {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final RotaryEmbedding rope;
    private final int headDim;
    private final int half;

    public Rope(RotaryEmbedding rope) {
        this.rope = rope;
        this.headDim = rope.headDim();
        this.half = headDim / 2;
    }

    /** cos/sin for a position, {@code pairs} entries each. */
    public void cosSin(int position, float[] cos, float[] sin) {
        rope.cosSin(position, cos, sin);
    }

    /** Rotates {@code heads} consecutive head vectors from {@code off}. */
    public void rotate(float[] v, int off, int heads, float[] cos, float[] sin) {
        if (rope.layout() == RopeLayout.HALF) {
            int l = F.length();
            for (int h = 0; h < heads; h++) {
                int b = off + h * headDim;
                int p = 0;
                for (; p + l <= half; p += l) {
                    FloatVector x = FloatVector.fromArray(F, v, b + p);
                    FloatVector y = FloatVector.fromArray(F, v, b + half + p);
                    FloatVector c = FloatVector.fromArray(F, cos, p);
                    FloatVector s = FloatVector.fromArray(F, sin, p);
                    x.mul(c).sub(y.mul(s)).intoArray(v, b + p);
                    y.mul(c).add(x.mul(s)).intoArray(v, b + half + p);
                }
                for (; p < half; p++) {
                    float x = v[b + p];
                    float y = v[b + half + p];
                    v[b + p] = x * cos[p] - y * sin[p];
                    v[b + half + p] = y * cos[p] + x * sin[p];
                }
            }
        } else {
            for (int h = 0; h < heads; h++) {
                int b = off + h * headDim;
                for (int p = 0; p < half; p++) {
                    float x = v[b + 2 * p];
                    float y = v[b + 2 * p + 1];
                    v[b + 2 * p] = x * cos[p] - y * sin[p];
                    v[b + 2 * p + 1] = x * sin[p] + y * cos[p];
                }
            }
        }
    }
}
