package dev.veloxquant.bench;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.api.SamplingParams;
import dev.veloxquant.engine.kernel.Matmul;
import dev.veloxquant.engine.kernel.Matrix;
import dev.veloxquant.engine.kernel.Parallel;
import dev.veloxquant.engine.llama.LlamaForward;
import dev.veloxquant.engine.llama.LlamaLanguageModel;
import dev.veloxquant.engine.llama.LlamaWeights;
import dev.veloxquant.engine.model.ModelConfig;
import dev.veloxquant.engine.sampling.Sampler;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Random;

/**
 * Where one decode step's time goes on a real model: the whole forward (wall and process CPU time
 * per token, so spinning workers show up), then each part on its own with the model's weights:
 * every matmul shape at one token, attention over the cache, sampling. Bench-only; nothing here
 * touches the engine's hot paths.
 *
 * <p>Usage: {@code java ... dev.veloxquant.bench.DecodeProfile [--model DIR] [--threads N] [--context 320] [--steps 400]
 * [--forward-only]}, or {@code --compare 1,2} to alternate decode rounds of several thread counts in one JVM.
 * Random prompt tokens; greedy; fp16 KV cache.
 */
public final class DecodeProfile {
    public static void main(String[] args) {
        Path model = Path.of("models/velox-tiny");
        int threads = 1;
        int ctx = 320;
        int steps = 400;
        boolean forwardOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--context" -> ctx = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--forward-only" -> forwardOnly = true;
                case "--compare" -> {
                    compare(model, args[++i], ctx, steps);
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        final int context = ctx;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (LlamaLanguageModel m = (LlamaLanguageModel) LanguageModels.load(model, "profile", s -> { }, threads)) {
            LlamaForward f = m.forward();
            ModelConfig c = f.config();
            LlamaWeights w = f.weights();
            Parallel par = new Parallel(threads);
            Random rnd = new Random(1);
            int[] prompt = new int[context];
            for (int i = 0; i < context; i++) {
                prompt[i] = rnd.nextInt(c.vocabSize());
            }
            for (int round = 0; round < 5; round++) {
                // Whole forward: prefill `context` tokens then decode `steps` single tokens from position context.
                try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                    f.forward(prompt, 0, context, cache, false);
                    Sampler sampler = new Sampler(SamplingParams.greedy(), prompt, c.vocabSize());
                    int id = 1;
                    long cpu0 = os.getProcessCpuTime();
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        float[] logits = f.forward(new int[]{id}, 0, 1, cache, false);
                        id = sampler.next(logits);
                    }
                    long t1 = System.nanoTime();
                    long cpu1 = os.getProcessCpuTime();
                    System.out.printf("round %d forward+sample: %.1f us/token wall, %.1f us/token process CPU, %.0f tok/s%n",
                            round, (t1 - t0) / 1e3 / steps, (cpu1 - cpu0) / 1e3 / steps, steps / ((t1 - t0) / 1e9));
                }
            }
            if (forwardOnly) {
                par.close();
                System.exit(0);
            }
            // Parts, one token.
            int d = c.hiddenSize();
            float[] x = new float[Math.max(d, c.intermediateSize())];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            LlamaWeights.Layer l0 = w.layers().get(0);
            float[] q = new float[c.qDim()];
            float[] k = new float[c.kvDim()];
            float[] v = new float[c.kvDim()];
            float[] o = new float[d];
            float[] gate = new float[c.intermediateSize()];
            float[] up = new float[c.intermediateSize()];
            float[] logits = new float[c.vocabSize()];
            int reps = 2000;
            for (int round = 0; round < 2; round++) {
                double qkv = time(reps, () -> Matmul.multiply(par, x, 1, new Matrix[]{l0.q(), l0.k(), l0.v()}, new float[][]{q, k, v}));
                double oo = time(reps, () -> Matmul.multiply(par, x, 1, l0.o(), o));
                double gu = time(reps, () -> Matmul.multiply(par, x, 1, new Matrix[]{l0.gate(), l0.up()}, new float[][]{gate, up}));
                double dn = time(reps, () -> Matmul.multiply(par, x, 1, l0.down(), o));
                double head = time(reps / 4, () -> Matmul.multiply(par, x, 1, w.lmHead(), logits));
                Sampler sampler = new Sampler(SamplingParams.greedy(), prompt, c.vocabSize());
                double samp = time(reps, () -> sampler.next(logits));
                double layer = qkv + oo + gu + dn;
                System.out.printf("parts (us): qkv %.1f o %.1f gate/up %.1f down %.1f = layer %.1f x%d = %.1f; lm head %.1f; sampler %.1f%n",
                        qkv, oo, gu, dn, layer, c.numLayers(), layer * c.numLayers(), head, samp);
            }
            // Attention for one layer at `context` tokens.
            try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                KVCache kv = cache.layer(0);
                float[] kk = new float[context * c.kvDim()];
                float[] vv = new float[context * c.kvDim()];
                for (int i = 0; i < kk.length; i++) {
                    kk[i] = (float) rnd.nextGaussian();
                    vv[i] = (float) rnd.nextGaussian();
                }
                kv.append(kk, 0, vv, 0, context);
                int group = c.numHeads() / c.numKvHeads();
                int hd = c.headDim();
                float[] scores = new float[group * context];
                float[] att = new float[c.qDim()];
                float[] qq = new float[c.qDim()];
                for (int i = 0; i < qq.length; i++) {
                    qq[i] = (float) rnd.nextGaussian() * 0.1f;
                }
                for (int round = 0; round < 2; round++) {
                    double attn = time(reps, () -> {
                        for (int g = 0; g < c.numKvHeads(); g++) {
                            int qOff = g * group * hd;
                            kv.scores(g, qq, qOff, group, context, scores, 0);
                            for (int r = 0; r < group; r++) {
                                dev.veloxquant.engine.kernel.Softmax.apply(scores, r * context, context, 0.125f);
                            }
                            kv.accumulateValues(g, scores, 0, group, context, att, qOff);
                        }
                    });
                    System.out.printf("attention one layer @%d: %.1f us, x%d = %.1f us%n", context, attn, c.numLayers(), attn * c.numLayers());
                }
            }
            par.close();
        }
        System.exit(0);
    }

    /**
     * Decode speed of the same model on several thread counts ("1,2"), one instance each, alternating
     * rounds so all see the same machine load; prints each round and the median per thread count.
     */
    static void compare(Path model, String threadList, int context, int steps) {
        String[] ts = threadList.split(",");
        LlamaLanguageModel[] ms = new LlamaLanguageModel[ts.length];
        for (int i = 0; i < ts.length; i++) {
            ms[i] = (LlamaLanguageModel) LanguageModels.load(model, "profile", s -> { }, Integer.parseInt(ts[i].trim()));
        }
        ModelConfig c = ms[0].forward().config();
        Random rnd = new Random(1);
        int[] prompt = new int[context];
        for (int i = 0; i < context; i++) {
            prompt[i] = rnd.nextInt(c.vocabSize());
        }
        int rounds = 12;
        double[][] tps = new double[ts.length][rounds];
        for (int round = -3; round < rounds; round++) {
            StringBuilder line = new StringBuilder("round " + round + ":");
            for (int i = 0; i < ts.length; i++) {
                LlamaForward f = ms[i].forward();
                try (SequenceKVCache cache = KVCacheBuilder.build(f.geometry(), KVCacheConfig.fp16())) {
                    f.forward(prompt, 0, context, cache, false);
                    Sampler sampler = new Sampler(SamplingParams.greedy(), prompt, c.vocabSize());
                    int id = 1;
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        id = sampler.next(f.forward(new int[]{id}, 0, 1, cache, false));
                    }
                    double v = steps / ((System.nanoTime() - t0) / 1e9);
                    if (round >= 0) {
                        tps[i][round] = v;
                    }
                    line.append(String.format(" t=%s %.0f tok/s", ts[i], v));
                }
            }
            System.out.println(line);
        }
        StringBuilder res = new StringBuilder("median:");
        for (int i = 0; i < ts.length; i++) {
            res.append(String.format(" t=%s %.0f tok/s", ts[i], EngineVsJlama.median(tps[i])));
        }
        System.out.println(res);
        for (LlamaLanguageModel m : ms) {
            m.close();
        }
    }

    static double time(int reps, Runnable r) {
        for (int i = 0; i < reps / 4; i++) {
            r.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        return (System.nanoTime() - t0) / 1e3 / reps;
    }
}
