package dev.veloxquant.bench;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.commvq.CodebookFit;
import dev.veloxquant.cache.commvq.CommVQCodebook;
import dev.veloxquant.cache.commvq.CommVQKVCache;
import dev.veloxquant.cache.commvq.CommVQQuantizer;
import dev.veloxquant.cache.commvq.PairBitAllocation;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.llama.LlamaLanguageModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Calibrates a CommVQ key codebook for a model: runs the model over calibration text, records every
 * layer's pre-RoPE keys and its queries' energy per RoPE pair through the {@link KVCache} interface,
 * spreads each head's key bits over its pairs by what it measured ({@link #allocate}), fits the
 * levels by EM ({@link CodebookFit}) and writes {@code commvq-codebook-b<bits>r<R>.bin} next to the model, where
 * the KV-cache builder picks it up.
 *
 * <p>Calibration text is never the held-out split: by default the model samples its own text
 * (seeded, temperature 1, from its BOS token), so nothing beyond the model is needed; {@code --text}
 * takes a file instead, refused if it is (or contains) the model's {@code eval/heldout.txt}.
 *
 * <pre>scripts/calibrate-commvq.sh [--model models/velox-tiny] [--bits 2] [--residuals 2] [--tokens 16384]
 *     [--seq 512] [--group 32] [--iterations 15] [--text FILE] [--seed 1] [--widths measured|weights] [--out FILE]</pre>
 *
 * <p>{@code --widths weights} keeps the calibration-free default's pair widths (from the model's
 * weights) and fits only the level shapes: an ablation of the measured widths.
 */
public final class CalibrateCommVQ {

    /**
     * Records pre-RoPE keys and each KV head's query energy per RoPE pair ({@code |q_p|²} summed over the
     * queries that read it; RoPE does not change it), and delegates attention to an fp16-window CommVQ
     * cache (exact pre-RoPE keys).
     */
    private static final class KeyRecorder implements KVCache {
        private final KVCache inner;
        private final int kvDim;
        private final float[] keys;
        private final ModelGeometry g;
        private final double[][] queryEnergy;
        private int size;

        KeyRecorder(ModelGeometry g, int seq, double[][] queryEnergy) {
            this.g = g;
            this.queryEnergy = queryEnergy;
            // window = seq: nothing is ever encoded, attention runs on the fp16 keys.
            this.inner = new CommVQKVCache(g.numKvHeads(), g.headDim(), g.rope(),
                    new CommVQQuantizer(2, 2, g.rope().layout(), 32).paramsFor(g.headDim()), seq, 16);
            this.kvDim = g.kvDim();
            this.keys = new float[seq * kvDim];
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public boolean keysBeforeRope() {
            return true;
        }

        @Override
        public void append(float[] k, int kOff, float[] v, int vOff, int count) {
            System.arraycopy(k, kOff, keys, size * kvDim, count * kvDim);
            inner.append(k, kOff, v, vOff, count);
            size += count;
        }

        @Override
        public void scores(int kvHead, float[] q, int qOff, int numQueries, int upTo, float[] out, int outOff) {
            int d = g.headDim();
            for (int qi = 0; qi < numQueries; qi++) {
                for (int p = 0; p < d / 2; p++) {
                    float a = q[qOff + qi * d + g.rope().layout().first(p, d)];
                    float b = q[qOff + qi * d + g.rope().layout().second(p, d)];
                    queryEnergy[kvHead][p] += (double) a * a + (double) b * b;
                }
            }
            inner.scores(kvHead, q, qOff, numQueries, upTo, out, outOff);
        }

        @Override
        public void accumulateValues(int kvHead, float[] w, int wOff, int numQueries, int upTo, float[] out, int outOff) {
            inner.accumulateValues(kvHead, w, wOff, numQueries, upTo, out, outOff);
        }

        @Override
        public CacheFootprint footprint() {
            return inner.footprint();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    public static void main(String[] args) throws IOException {
        Locale.setDefault(Locale.ROOT);
        Path modelDir = Path.of("models/velox-tiny");
        int bits = 2;
        int residuals = 2;
        int tokens = 16384;
        int seq = 512;
        int group = KVCacheConfig.DEFAULT_GROUP_SIZE;
        int iterations = 15;
        long seed = 1;
        Path text = null;
        Path out = null;
        boolean measuredWidths = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> modelDir = Path.of(args[++i]);
                case "--bits" -> bits = Integer.parseInt(args[++i]);
                case "--residuals" -> residuals = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--seq" -> seq = Integer.parseInt(args[++i]);
                case "--group" -> group = Integer.parseInt(args[++i]);
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--text" -> text = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--widths" -> {
                    String w = args[++i];
                    if (!w.equals("measured") && !w.equals("weights")) {
                        System.err.println("--widths is 'measured' or 'weights', got '" + w + "'");
                        System.exit(2);
                    }
                    measuredWidths = w.equals("measured");
                }
                default -> {
                    System.err.println("unknown argument " + args[i] + "; see dev.veloxquant.bench.CalibrateCommVQ");
                    System.exit(2);
                }
            }
        }
        if (seq % group != 0 || seq <= 0 || tokens < seq) {
            System.err.println("--seq must be a positive multiple of --group and --tokens at least --seq");
            System.exit(2);
        }
        if (out == null) {
            out = modelDir.resolve(CommVQCodebook.fileName(bits, residuals));
        }
        try (LanguageModel lm = LanguageModels.load(modelDir, modelDir.getFileName().toString(), System.err::println)) {
            LlamaLanguageModel model = (LlamaLanguageModel) lm;
            ModelGeometry g = model.geometry();
            seq = Math.min(seq, model.contextLength() / group * group);
            int sequences = tokens / seq;
            float[][][] keys = new float[g.numLayers()][g.numKvHeads()][sequences * seq * g.headDim()];
            double[][][] queryEnergy = new double[g.numLayers()][g.numKvHeads()][g.headDim() / 2];
            int[] ids = text == null ? null : calibrationIds(model, modelDir, text);
            if (ids != null && ids.length < sequences * seq) {
                sequences = ids.length / seq;
                System.err.printf("calibration text has %d tokens: using %d sequences of %d%n", ids.length, sequences, seq);
                if (sequences == 0) {
                    System.err.println("calibration text is shorter than one sequence");
                    System.exit(2);
                }
                for (float[][] l : keys) {
                    for (int h = 0; h < l.length; h++) {
                        l[h] = Arrays.copyOf(l[h], sequences * seq * g.headDim());
                    }
                }
            }
            System.err.printf("calibrating commvq b%dr%d on %s: %d sequences of %d tokens (%s)%n", bits, residuals,
                    model.id(), sequences, seq, ids == null ? "text sampled by the model, seed " + seed : text);
            Random rnd = new Random(seed);
            long t0 = System.nanoTime();
            for (int s = 0; s < sequences; s++) {
                List<KVCache> layers = new ArrayList<>();
                for (int l = 0; l < g.numLayers(); l++) {
                    layers.add(new KeyRecorder(g, seq, queryEnergy[l]));
                }
                try (SequenceKVCache cache = new SequenceKVCache(KVCacheConfig.fp16(), layers)) {
                    if (ids != null) {
                        for (int p = 0; p < seq; p += 16) {
                            model.forward().forward(ids, s * seq + p, Math.min(16, seq - p), cache, false);
                        }
                    } else {
                        sample(model, cache, seq, rnd);
                    }
                    for (int l = 0; l < g.numLayers(); l++) {
                        float[] k = ((KeyRecorder) layers.get(l)).keys;
                        for (int t = 0; t < seq; t++) {
                            for (int h = 0; h < g.numKvHeads(); h++) {
                                System.arraycopy(k, (t * g.numKvHeads() + h) * g.headDim(), keys[l][h],
                                        (s * seq + t) * g.headDim(), g.headDim());
                            }
                        }
                    }
                }
                System.err.printf("sequence %d/%d recorded (%.0f s)%n", s + 1, sequences, (System.nanoTime() - t0) / 1e9);
            }
            int[][][] pairBits = measuredWidths ? allocate(keys, queryEnergy, g, bits * residuals, group)
                    : fromWeights(g, bits * residuals);
            CommVQCodebook cb = CodebookFit.fit(keys, pairBits, g.headDim(), g.rope().layout(), bits, residuals, group,
                    iterations, System.err::println);
            cb.write(out);
            System.err.printf("wrote %s (%d bytes, %d calibration tokens, %.0f s)%n", out, cb.fileBytes(),
                    (long) sequences * seq, (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * Bits per axis of every pair from the calibration data: importance = the queries' energy in the pair
     * times the keys' spread within a block (mean of {@code range_x² + range_y²} over blocks of
     * {@code group} tokens), the quantities a block grid's error in a score scales with; then
     * {@link PairBitAllocation}.
     */
    static int[][][] allocate(float[][][] keys, double[][][] queryEnergy, ModelGeometry g, int axisBits, int group) {
        int d = g.headDim();
        int pairs = d / 2;
        int[][][] out = new int[keys.length][][];
        for (int l = 0; l < keys.length; l++) {
            out[l] = new int[keys[l].length][];
            for (int h = 0; h < keys[l].length; h++) {
                float[] k = keys[l][h];
                int blocks = k.length / d / group;
                float[] importance = new float[pairs];
                for (int p = 0; p < pairs; p++) {
                    int a = g.rope().layout().first(p, d);
                    int b = g.rope().layout().second(p, d);
                    double spread = 0;
                    for (int blk = 0; blk < blocks; blk++) {
                        spread += squaredRange(k, blk * group, group, d, a) + squaredRange(k, blk * group, group, d, b);
                    }
                    importance[p] = (float) Math.max(queryEnergy[l][h][p] * spread / Math.max(1, blocks), Float.MIN_NORMAL);
                }
                out[l][h] = PairBitAllocation.allocate(importance, axisBits);
                System.err.printf("layer %d head %d: bits per axis by pair %s%n", l, h, Arrays.toString(out[l][h]));
            }
        }
        return out;
    }

    /** The widths a calibration-free cache of this model uses (importance from its weights). */
    static int[][][] fromWeights(ModelGeometry g, int axisBits) {
        if (g.keyPairImportance() == null) {
            System.err.println("--widths weights: this model gives no key pair importance; use --widths measured");
            System.exit(2);
        }
        int[][][] out = new int[g.numLayers()][g.numKvHeads()][];
        for (int l = 0; l < g.numLayers(); l++) {
            for (int h = 0; h < g.numKvHeads(); h++) {
                out[l][h] = PairBitAllocation.allocate(g.keyPairImportance().layer(l)[h], axisBits);
                System.err.printf("layer %d head %d: bits per axis by pair (from the weights) %s%n", l, h,
                        Arrays.toString(out[l][h]));
            }
        }
        return out;
    }

    private static double squaredRange(float[] k, int t0, int n, int d, int dim) {
        float mn = Float.POSITIVE_INFINITY;
        float mx = Float.NEGATIVE_INFINITY;
        for (int t = t0; t < t0 + n; t++) {
            mn = Math.min(mn, k[t * d + dim]);
            mx = Math.max(mx, k[t * d + dim]);
        }
        return (double) (mx - mn) * (mx - mn);
    }

    /** Tokens of the calibration file; refuses the model's held-out split or any file that contains it. */
    private static int[] calibrationIds(LlamaLanguageModel model, Path modelDir, Path text) throws IOException {
        Path heldOut = modelDir.resolve("eval/heldout.txt");
        String t = Files.readString(text);
        if (Files.exists(heldOut)) {
            String h = Files.readString(heldOut);
            boolean same = Files.isSameFile(text, heldOut);
            // samples of 400 characters spread over the held-out text: any of them in the calibration text is overlap
            boolean overlap = false;
            int step = Math.max(400, h.length() / 64);
            for (int i = 0; i + 400 <= h.length() && !overlap && !same; i += step) {
                overlap = t.contains(h.substring(i, i + 400));
            }
            if (same || overlap) {
                System.err.println("refusing to calibrate on the held-out split (" + heldOut + "): pick other text");
                System.exit(2);
            }
        }
        return model.tokenizer().encode(t);
    }

    /** Samples {@code seq} tokens at temperature 1 from the model's BOS token (its own text: not the held-out split). */
    private static void sample(LlamaLanguageModel model, SequenceKVCache cache, int seq, Random rnd) {
        int[] ids = new int[seq];
        ids[0] = model.tokenizer().bosId().orElse(0);
        for (int p = 0; p < seq - 1; p++) {
            float[] logits = model.forward().forward(ids, p, 1, cache, false);
            ids[p + 1] = draw(logits, rnd);
        }
        model.forward().forward(ids, seq - 1, 1, cache, false);
    }

    private static int draw(float[] logits, Random rnd) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        double r = rnd.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            r -= p[i];
            if (r <= 0) {
                return i;
            }
        }
        return p.length - 1;
    }
}
