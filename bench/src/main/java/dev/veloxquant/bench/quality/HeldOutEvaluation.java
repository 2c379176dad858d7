package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.generation.CausalLm;

import java.util.List;
import java.util.function.Consumer;

/**
 * Held-out perplexity and next-token KL against fp16 for one cache configuration. Each window is
 * fed to the model in chunks of {@code chunk} tokens (1 = exactly as decoding would), so every
 * prediction attends to a cache that was quantized causally: a token's keys are quantized once the
 * cache's policy says so, never with knowledge of later tokens beyond its own chunk.
 */
final class HeldOutEvaluation {
    record Result(double perplexity, double meanKl, double top1Agreement, long scored, CacheFootprint footprint) {
    }

    private final CausalLm model;
    private final List<int[]> windows;
    private final int chunk;
    private final Consumer<String> progress;
    /** False when only the reference runs: its log-probabilities (4·vocab bytes a token) are then not kept. */
    private final boolean keepReference;
    /** fp16 log-probabilities per window, kept to compute KL of the other methods against them. */
    private float[][] referenceLogProbs;

    HeldOutEvaluation(CausalLm model, List<int[]> windows, int chunk, boolean keepReference, Consumer<String> progress) {
        this.model = model;
        this.windows = windows;
        this.chunk = chunk;
        this.keepReference = keepReference;
        this.progress = progress;
    }

    /** Runs the fp16 reference first: it must be the first configuration evaluated. */
    Result evaluate(String label, KVCacheConfig config) {
        boolean reference = referenceLogProbs == null;
        if (reference) {
            referenceLogProbs = new float[windows.size()][];
        }
        int vocab = model.vocabSize();
        double nll = 0, kl = 0;
        long scored = 0, agree = 0;
        CacheFootprint footprint = CacheFootprint.EMPTY;
        long started = System.nanoTime();
        for (int w = 0; w < windows.size(); w++) {
            int[] tokens = windows.get(w);
            int n = tokens.length;
            float[] logProbs = new float[(n - 1) * vocab];
            try (SequenceKVCache cache = KVCacheBuilder.build(model.geometry(), config)) {
                for (int off = 0; off < n - 1; off += chunk) {
                    int count = Math.min(chunk, n - 1 - off);
                    float[] logits = model.forward(tokens, off, count, cache, true);
                    for (int i = 0; i < count; i++) {
                        logSoftmax(logits, i * vocab, vocab, logProbs, (off + i) * vocab);
                    }
                }
                footprint = cache.footprint();
            }
            for (int p = 0; p < n - 1; p++) {
                int base = p * vocab;
                nll -= logProbs[base + tokens[p + 1]];
                if (!reference) {
                    float[] ref = referenceLogProbs[w];
                    double k = 0;
                    for (int i = 0; i < vocab; i++) {
                        double lp = ref[base + i];
                        k += Math.exp(lp) * (lp - logProbs[base + i]);
                    }
                    kl += k;
                    if (argmax(ref, base, vocab) == argmax(logProbs, base, vocab)) {
                        agree++;
                    }
                } else {
                    agree++;
                }
                scored++;
            }
            if (reference && keepReference) {
                referenceLogProbs[w] = logProbs;
            }
            progress.accept(String.format("  %-22s window %d/%d  ppl so far %.4f  (%.0f s)", label, w + 1, windows.size(),
                    Math.exp(nll / scored), (System.nanoTime() - started) / 1e9));
        }
        return new Result(Math.exp(nll / scored), kl / scored, (double) agree / scored, scored, footprint);
    }

    private static void logSoftmax(float[] in, int inOff, int n, float[] out, int outOff) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, in[inOff + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(in[inOff + i] - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (float) (in[inOff + i] - lse);
        }
    }

    private static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[off + i] > a[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
