package dev.veloxquant.bench;

import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.KeyPairImportance;
import dev.veloxquant.cache.commvq.CodebookFit;
import dev.veloxquant.cache.commvq.CommVQCodebook;
import dev.veloxquant.cache.commvq.PairBitAllocation;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Attention time per generated token for one layer (scores + softmax-free value pass over every
 * KV head, the GQA group's queries together) at several context lengths, CommVQ against fp16 in the
 * same JVM, on synthetic keys with per-channel structure, in thread CPU time (best of 6 interleaved
 * rounds). Also the encode cost per token (wall time of the prefill append).
 *
 * <p>Usage: {@code CommVQAttentionBench [contexts=512,2048,8192,32768] [kvHeads=2] [heads=6] [headDim=64]
 * [configs=2x2,1x2]}; a config ending in {@code a} ({@code 2x2a}) spreads the key bits over the pairs
 * ({@code PairBitAllocation}) by the synthetic keys' per-pair variance, as a model's pair importance would;
 * ending in {@code c} ({@code 2x2c}) it also reads calibrated level tables (a codebook with those widths,
 * fitted shapes up to 16 levels per axis, as {@code scripts/calibrate-commvq.sh} writes).
 */
public final class CommVQAttentionBench {
    private CommVQAttentionBench() {
    }

    public static void main(String[] args) throws IOException {
        int[] contexts = Arrays.stream(arg(args, 0, "512,2048,8192,32768").split(",")).mapToInt(Integer::parseInt).toArray();
        int kvHeads = Integer.parseInt(arg(args, 1, "2"));
        int heads = Integer.parseInt(arg(args, 2, "6"));
        int headDim = Integer.parseInt(arg(args, 3, "64"));
        String[] configs = arg(args, 4, "2x2,1x2").split(",");
        int group = heads / kvHeads;
        int maxCtx = Arrays.stream(contexts).max().orElseThrow();
        RotaryEmbedding rope = RotaryEmbedding.standard(headDim, 500000, RopeLayout.HALF);
        ModelGeometry model = new ModelGeometry("bench", 1, heads, kvHeads, headDim, maxCtx, rope, null);

        Random r = new Random(42);
        float[] keys = new float[maxCtx * kvHeads * headDim];
        float[] values = new float[maxCtx * kvHeads * headDim];
        float[] chMean = new float[kvHeads * headDim];
        float[] chScale = new float[kvHeads * headDim];
        for (int i = 0; i < chMean.length; i++) {
            chMean[i] = (float) r.nextGaussian();
            chScale[i] = (float) Math.exp(r.nextGaussian() * 0.7);
        }
        for (int t = 0; t < maxCtx; t++) {
            for (int i = 0; i < kvHeads * headDim; i++) {
                keys[t * kvHeads * headDim + i] = chMean[i] + chScale[i] * (float) r.nextGaussian();
                values[t * kvHeads * headDim + i] = (float) r.nextGaussian();
            }
        }
        float[][][] importance = new float[1][kvHeads][headDim / 2];
        for (int h = 0; h < kvHeads; h++) {
            for (int p = 0; p < headDim / 2; p++) {
                int a = h * headDim + rope.layout().first(p, headDim);
                int b = h * headDim + rope.layout().second(p, headDim);
                importance[0][h][p] = chScale[a] * chScale[a] + chScale[b] * chScale[b];
            }
        }
        ModelGeometry allocated = model.withKeyPairImportance(new KeyPairImportance(importance));
        Path codebookDir = Files.createTempDirectory("commvq-bench");
        ModelGeometry calibrated = new ModelGeometry("bench", 1, heads, kvHeads, headDim, maxCtx, rope, codebookDir);
        for (String c : configs) {
            if (c.endsWith("c")) {
                String[] br = c.substring(0, c.length() - 1).split("x");
                int b = Integer.parseInt(br[0]);
                int res = Integer.parseInt(br[1]);
                syntheticCodebook(importance, b, res, kvHeads, headDim, r)
                        .write(codebookDir.resolve(CommVQCodebook.fileName(b, res)));
            }
        }
        float[] q = new float[heads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian() * 0.1f;
        }

        System.out.printf(Locale.ROOT, "# one layer, %d KV heads x %d dims, %d query heads (GQA group %d), %d cores, %s%n",
                kvHeads, headDim, heads, group, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        System.out.printf(Locale.ROOT, "%-14s %8s %14s %14s %10s %12s %10s%n", "method", "context", "attn us/token",
                "scores us", "vs fp16", "key bits/el", "encode us/tok");
        for (int ctx : contexts) {
            List<String> names = new ArrayList<>();
            List<SequenceKVCache> caches = new ArrayList<>();
            List<Double> encodeUs = new ArrayList<>();
            names.add("fp16");
            caches.add(null);
            for (String c : configs) {
                names.add("commvq " + c);
                caches.add(null);
            }
            for (int m = 0; m < names.size(); m++) {
                String c = m == 0 ? "" : configs[m - 1];
                KVCacheConfig cfg = m == 0 ? KVCacheConfig.fp16() : commvq(c.replace("a", "").replace("c", ""));
                SequenceKVCache s = KVCacheBuilder.build(c.endsWith("a") ? allocated : c.endsWith("c") ? calibrated : model,
                        c.endsWith("c") || m == 0 ? cfg : cfg.withCodebookPath(KVCacheConfig.CALIBRATION_FREE));
                boolean pre = s.layer(0).keysBeforeRope();
                float[] k = pre ? keys : rotated(keys, rope, ctx, kvHeads, headDim);
                long t0 = System.nanoTime();
                s.layer(0).append(k, 0, values, 0, ctx);
                encodeUs.add((System.nanoTime() - t0) / 1e3 / ctx);
                caches.set(m, s);
            }
            double[] attn = new double[names.size()];
            double[] score = new double[names.size()];
            float[] w = new float[heads * ctx];
            Arrays.fill(w, 1f / ctx);
            float[] out = new float[heads * ctx];
            float[] acc = new float[heads * headDim];
            int reps = Math.max(3, 2_000_000 / ctx);
            // interleave rounds so drift in machine load hits every method alike
            double[][] bestA = new double[names.size()][1];
            double[][] bestS = new double[names.size()][1];
            for (double[] b : bestA) {
                b[0] = Double.MAX_VALUE;
            }
            for (double[] b : bestS) {
                b[0] = Double.MAX_VALUE;
            }
            for (int round = 0; round < 7; round++) {
                for (int m = 0; m < names.size(); m++) {
                    KVCache c = caches.get(m).layer(0);
                    long t0 = cpuNanos();
                    for (int i = 0; i < reps; i++) {
                        for (int h = 0; h < kvHeads; h++) {
                            c.scores(h, q, h * group * headDim, group, ctx, out, h * group * ctx);
                        }
                    }
                    long t1 = cpuNanos();
                    for (int i = 0; i < reps; i++) {
                        for (int h = 0; h < kvHeads; h++) {
                            c.accumulateValues(h, w, h * group * ctx, group, ctx, acc, h * group * headDim);
                        }
                    }
                    long t2 = cpuNanos();
                    double a = (t2 - t0) / 1e3 / reps;
                    double s = (t1 - t0) / 1e3 / reps;
                    if (round > 0) {
                        bestA[m][0] = Math.min(bestA[m][0], a);
                        bestS[m][0] = Math.min(bestS[m][0], s);
                    }
                }
            }
            for (int m = 0; m < names.size(); m++) {
                attn[m] = bestA[m][0];
                score[m] = bestS[m][0];
                var f = caches.get(m).footprint();
                System.out.printf(Locale.ROOT, "%-14s %8d %14.1f %14.1f %9.2fx %12.3f %10.2f%n", names.get(m), ctx, attn[m], score[m],
                        attn[0] / attn[m], f.keyBitsPerElement(), encodeUs.get(m));
                caches.get(m).close();
            }
        }
    }

    /** Widths from the synthetic importance, random level shapes where the calibration fits them, uniform above. */
    private static CommVQCodebook syntheticCodebook(float[][][] importance, int bits, int res, int kvHeads, int headDim,
                                                    Random r) {
        int pairs = headDim / 2;
        byte[] widths = new byte[kvHeads * pairs];
        List<Float> levels = new ArrayList<>();
        for (int h = 0; h < kvHeads; h++) {
            int[] b = PairBitAllocation.allocate(importance[0][h], bits * res);
            for (int p = 0; p < pairs; p++) {
                widths[h * pairs + p] = (byte) b[p];
                for (int a = 0; a < 2; a++) {
                    for (int i = 0; i < 1 << b[p]; i++) {
                        boolean shaped = b[p] <= CodebookFit.MAX_FITTED_AXIS_BITS;
                        levels.add(i + 0.5f + (shaped ? (float) (r.nextDouble() - 0.5) * 0.5f : 0f));
                    }
                }
            }
        }
        float[] lv = new float[levels.size()];
        for (int i = 0; i < lv.length; i++) {
            lv[i] = levels.get(i);
        }
        return new CommVQCodebook(bits, res, RopeLayout.HALF, 1, kvHeads, headDim, KVCacheConfig.DEFAULT_GROUP_SIZE, 0,
                widths, lv);
    }

    /** CPU time of this thread: the machine is shared, wall time would charge us for other processes. */
    private static long cpuNanos() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    private static KVCacheConfig commvq(String bxr) {
        String[] p = bxr.split("x");
        return KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(Integer.parseInt(p[0])).withNumResiduals(Integer.parseInt(p[1]));
    }

    private static float[] rotated(float[] keys, RotaryEmbedding rope, int ctx, int kvHeads, int headDim) {
        float[] k = Arrays.copyOf(keys, ctx * kvHeads * headDim);
        for (int t = 0; t < ctx; t++) {
            for (int h = 0; h < kvHeads; h++) {
                rope.rotate(k, (t * kvHeads + h) * headDim, t);
            }
        }
        return k;
    }

    private static String arg(String[] a, int i, String def) {
        return a.length > i ? a[i] : def;
    }
}
