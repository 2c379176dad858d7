package dev.veloxquant.cache;

/**
 * Rotary position embedding shared by the engine (queries, post-RoPE keys) and by caches that store
 * keys before RoPE and rotate them on the fly (CommVQ). The inverse frequencies already include any
 * RoPE scaling (llama3, linear): the engine computes them from the model config.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final float[] invFreq;
    private final RopeLayout layout;

    public RotaryEmbedding(int headDim, float[] invFreq, RopeLayout layout) {
        if (headDim % 2 != 0 || invFreq.length != headDim / 2) {
            throw new IllegalArgumentException("invFreq must have headDim/2 = " + headDim / 2 + " entries, got " + invFreq.length);
        }
        this.headDim = headDim;
        this.invFreq = invFreq.clone();
        this.layout = layout;
    }

    /** Plain (unscaled) RoPE frequencies: theta^(-2i/d). */
    public static RotaryEmbedding standard(int headDim, double theta, RopeLayout layout) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
        }
        return new RotaryEmbedding(headDim, f, layout);
    }

    public int headDim() {
        return headDim;
    }

    public int pairs() {
        return invFreq.length;
    }

    public RopeLayout layout() {
        return layout;
    }

    /** Inverse frequency of pair {@code p} (a copy of the table is never needed on hot paths). */
    public float invFreq(int p) {
        return invFreq[p];
    }

    /** Angle of pair {@code p} at {@code position}; computed in double as transformers does in fp32 after arange. */
    public double angle(int p, int position) {
        return (double) position * invFreq[p];
    }

    /** Fills cos/sin of every pair at one position (arrays of length pairs()). */
    public void cosSin(int position, float[] cos, float[] sin) {
        for (int p = 0; p < invFreq.length; p++) {
            float a = (float) position * invFreq[p];
            cos[p] = (float) Math.cos(a);
            sin[p] = (float) Math.sin(a);
        }
    }

    /** Rotates one head vector in place, at {@code off} in {@code v}. */
    public void rotate(float[] v, int off, int position) {
        for (int p = 0; p < invFreq.length; p++) {
            float a = (float) position * invFreq[p];
            float c = (float) Math.cos(a);
            float s = (float) Math.sin(a);
            int i = off + layout.first(p, headDim);
            int j = off + layout.second(p, headDim);
            float x = v[i];
            float y = v[j];
            v[i] = x * c - y * s;
            v[j] = x * s + y * c;
        }
    }
}
