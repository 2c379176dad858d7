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
    /** Whether a logit bias or a penalty applies, so {@link #adjusted} must copy and change the logits. */
    private final boolean adjusts;

    public Sampler(SamplingParams params, int[] prompt, int vocabSize) {
        this.p = params;
        this.random = new Random(params.seed() != null ? params.seed() : ThreadLocalRandom.current().nextLong());
        this.outputCounts = new int[vocabSize];
        this.inPrompt = new boolean[vocabSize];
        double rep = params.repetitionPenalty();
        this.adjusts = !params.logitBias().isEmpty() || (rep > 0 && rep != 1.0) || params.presencePenalty() != 0
                || params.frequencyPenalty() != 0;
        for (int id : prompt) {
            if (id >= 0 && id < vocabSize) {
                inPrompt[id] = true;
            }
        }
    }

    /** Picks the next token from raw logits (left unchanged) and records it as generated. */
    public int next(float[] rawLogits) {
        // Without bias or penalties the raw logits are read as they are (neither path below writes them).
        float[] logits = adjusts || rawLogits.length != outputCounts.length ? adjusted(rawLogits) : rawLogits;
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

    /**
     * Temperature, then top-k, top-p and min-p over the candidates, then one draw. Tokens whose
     * probability is below e^-30 of the best one cannot matter at any threshold, so only the rest
     * are sorted (a few hundred instead of the whole vocabulary).
     */
    private int sample(float[] logits) {
        int n = logits.length;
        double invT = 1.0 / p.temperature();
        float max = logits[argmax(logits)];
        int[] cand = new int[n];
        int m = 0;
        for (int id = 0; id < n; id++) {
            if ((logits[id] - max) * invT > -30) {
                cand[m++] = id;
            }
        }
        // Sort candidates by logit, descending (ties: lower id first), via packed primitive keys.
        long[] keys = new long[m];
        for (int i = 0; i < m; i++) {
            keys[i] = ((long) descendingKey(logits[cand[i]]) << 32) | cand[i];
        }
        Arrays.sort(keys);
        int keep = m;
        if (p.topK() > 0) {
            keep = Math.min(keep, p.topK());
        }
        double[] probs = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            probs[r] = Math.exp((logits[(int) keys[r]] - max) * invT);
            sum += probs[r];
        }
        if (p.topP() < 1.0) {
            double cum = 0;
            int r = 0;
            while (r < keep) {
                cum += probs[r] / sum;
                r++;
                if (cum >= p.topP()) {
                    break;
                }
            }
            keep = Math.max(1, r);
        }
        if (p.minP() > 0) {
            double floor = p.minP() * probs[0];
            int r = 1;
            while (r < keep && probs[r] >= floor) {
                r++;
            }
            keep = r;
        }
        sum = 0;
        for (int r = 0; r < keep; r++) {
            sum += probs[r];
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int r = 0; r < keep; r++) {
            acc += probs[r];
            if (u < acc) {
                return (int) keys[r];
            }
        }
        return (int) keys[keep - 1];
    }

    /** An int that orders floats descending when compared as signed ints (NaN-free logits). */
    private static int descendingKey(float f) {
        int bits = Float.floatToIntBits(f);
        int ascending = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
        return -ascending - 1;
    }
}
