package dev.veloxquant.engine.sampling;

/** Log-softmax over raw logits, and the N most likely tokens. */
public final class Logprobs {
    private Logprobs() {
    }

    /** log Σ exp(logits[off..off+n)), computed in double. */
    public static double logSumExp(float[] logits, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(logits[off + i] - max);
        }
        return max + Math.log(s);
    }

    /** Ids of the {@code k} largest logits, most likely first (ties: lower id first). */
    public static int[] topIds(float[] logits, int off, int n, int k) {
        k = Math.min(k, n);
        int[] ids = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = logits[off + i];
            if (size == k && !(v > logits[off + ids[size - 1]])) {
                continue;
            }
            int pos = size < k ? size++ : size - 1;
            while (pos > 0 && logits[off + ids[pos - 1]] < v) {
                ids[pos] = ids[pos - 1];
                pos--;
            }
            ids[pos] = i;
        }
        return ids;
    }
}
