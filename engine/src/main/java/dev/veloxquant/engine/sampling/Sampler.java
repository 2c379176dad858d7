package dev.veloxquant.engine.sampling;

import dev.veloxquant.engine.api.SamplingParams;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses each next token of one generation: logit bias, then penalties (Hugging Face repetition
 * over prompt and output; OpenAI presence and frequency over the output), then greedy or
 * temperature / top-k / top-p / min-p sampling. Owns its {@link Random}, seeded per generation, so
 * the same seed gives the same tokens whatever else runs.
 */
public final class Sampler {
    private final SamplingParams p;
    private final Random random;
    private final int[] outputCounts;
    private final boolean[] inPrompt;

    public Sampler(SamplingParams params, int[] prompt, int vocabSize) {
        this.p = params;
        this.random = new Random(params.seed() != null ? params.seed() : ThreadLocalRandom.current().nextLong());
        this.outputCounts = new int[vocabSize];
        this.inPrompt = new boolean[vocabSize];
        for (int id : prompt) {
            if (id >= 0 && id < vocabSize) {
                inPrompt[id] = true;
            }
        }
    }

    /** Picks the next token from raw logits (left unchanged) and records it as generated. */
    public int next(float[] rawLogits) {
        float[] logits = adjusted(rawLogits);
        int id = p.temperature() <= 0 ? argmax(logits) : sample(logits);
        outputCounts[id]++;
        return id;
    }

    /** Logits after bias and penalties. */
    float[] adjusted(float[] raw) {
        float[] l = Arrays.copyOf(raw, outputCounts.length);
        for (Map.Entry<Integer, Float> e : p.logitBias().entrySet()) {
            int id = e.getKey();
            if (id >= 0 && id < l.length) {
                l[id] += e.getValue();
            }
        }
        double rep = p.repetitionPenalty();
        boolean repOn = rep > 0 && rep != 1.0;
        boolean addOn = p.presencePenalty() != 0 || p.frequencyPenalty() != 0;
        if (repOn || addOn) {
            for (int id = 0; id < l.length; id++) {
                int n = outputCounts[id];
                if (repOn && (n > 0 || inPrompt[id])) {
                    l[id] = (float) (l[id] > 0 ? l[id] / rep : l[id] * rep);
                }
                if (addOn && n > 0) {
                    l[id] -= (float) (p.presencePenalty() + p.frequencyPenalty() * n);
                }
            }
        }
        return l;
    }

    static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(float[] logits) {
        int n = logits.length;
        float invT = (float) (1.0 / p.temperature());
        Integer[] order = null;
        int keep = n;
        boolean needSorted = (p.topK() > 0 && p.topK() < n) || p.topP() < 1.0;
        if (needSorted) {
            order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
            if (p.topK() > 0) {
                keep = Math.min(keep, p.topK());
            }
        }
        float max = logits[argmax(logits)];
        double[] probs = new double[n];
        double sum = 0;
        if (order != null) {
            for (int r = 0; r < keep; r++) {
                int id = order[r];
                probs[id] = Math.exp((logits[id] - max) * invT);
                sum += probs[id];
            }
            if (p.topP() < 1.0) {
                double cum = 0;
                int r = 0;
                for (; r < keep; r++) {
                    cum += probs[order[r]] / sum;
                    if (cum >= p.topP()) {
                        r++;
                        break;
                    }
                }
                for (int z = Math.max(1, r); z < keep; z++) {
                    probs[order[z]] = 0;
                }
            }
        } else {
            for (int id = 0; id < n; id++) {
                probs[id] = Math.exp((logits[id] - max) * invT);
            }
        }
        if (p.minP() > 0) {
            double top = 0;
            for (double v : probs) {
                top = Math.max(top, v);
            }
            double floor = p.minP() * top;
            for (int id = 0; id < n; id++) {
                if (probs[id] < floor) {
                    probs[id] = 0;
                }
            }
        }
        sum = 0;
        for (double v : probs) {
            sum += v;
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        int last = -1;
        for (int id = 0; id < n; id++) {
            if (probs[id] > 0) {
                acc += probs[id];
                last = id;
                if (u < acc) {
                    return id;
                }
            }
        }
        return last >= 0 ? last : argmax(logits);
    }
}
