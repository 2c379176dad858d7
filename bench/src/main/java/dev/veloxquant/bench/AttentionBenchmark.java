package dev.veloxquant.bench;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCache;
import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.simd.Simd;
import dev.veloxquant.cache.simd.Softmax;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Attention time per generated token for one layer (scores + softmax + weighted values for every
 * query head, the GQA group's queries passed together) over each KV-cache method, at several
 * context lengths, with synthetic keys and values; plus the encode cost per token. Every method is
 * measured in the same run and the methods are interleaved round by round, so the ratios against
 * fp16 are comparable even on a noisy machine.
 *
 * <p>Usage: {@code scripts/bench-attention.sh [--contexts 512,2048,8192,32768] [--geometries tiny,big]
 * [--methods fp16,int8,int4,int2,turboquant,commvq] [--rounds 7] [--out file.md]}
 */
public final class AttentionBenchmark {

    record Geometry(String name, int heads, int kvHeads, int headDim) {
        ModelGeometry model() {
            return new ModelGeometry("bench-" + name, 1, heads, kvHeads, headDim, 1 << 20,
                    RotaryEmbedding.standard(headDim, 10000, RopeLayout.HALF), null);
        }
    }

    record Variant(String label, KVCacheConfig config) {
    }

    static final Map<String, Geometry> GEOMETRIES = new LinkedHashMap<>();

    static {
        GEOMETRIES.put("tiny", new Geometry("tiny (6q/2kv/64)", 6, 2, 64));
        GEOMETRIES.put("big", new Geometry("big (32q/8kv/128)", 32, 8, 128));
    }

    static List<Variant> variants(List<String> methods) {
        List<Variant> all = new ArrayList<>();
        for (String m : methods) {
            KVCacheMethod method = KVCacheMethod.parse(m);
            KVCacheConfig c = KVCacheConfig.of(method);
            switch (method) {
                case FP16 -> all.add(new Variant("fp16", c));
                case INT8, INT4, INT2 -> all.add(new Variant(m + " (K" + c.nominalKeyBits() + "/V" + c.effectiveValueBits() + ")", c));
                case TURBOQUANT -> {
                    all.add(new Variant("turboquant 2x2 (V16)", c));
                    all.add(new Variant("turboquant 2x2 (V4)", c.withValueBits(4)));
                }
                case COMMVQ -> {
                    all.add(new Variant("commvq 2x2 (V16)", c));
                }
            }
        }
        return all;
    }

    public static void main(String[] args) throws IOException {
        Locale.setDefault(Locale.ROOT);
        List<Integer> contexts = List.of(512, 2048, 8192, 32768);
        List<String> geoms = List.of("tiny", "big");
        List<String> methods = List.of("fp16", "int8", "int4", "int2", "turboquant", "commvq");
        int rounds = 7;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--contexts" -> contexts = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--geometries" -> geoms = List.of(args[++i].split(","));
                case "--methods" -> methods = List.of(args[++i].split(","));
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --contexts, --geometries, --methods, --rounds, --out");
            }
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format("Attention per generated token, one layer, %d-lane %s vectors (simd %s), %d cores, JDK %s, %s time, median of %d rounds%n%n",
                Simd.L, Simd.F.vectorShape(), Simd.enabled() ? "on" : "off",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                "wall".equals(System.getProperty("bench.clock")) ? "wall" : "thread CPU", rounds));
        md.append("| geometry | context | method | K bits/elem | V bits/elem | attention µs/token | speed-up vs fp16 | encode µs/token |\n");
        md.append("|---|---:|---|---:|---:|---:|---:|---:|\n");
        System.out.print(md);
        for (String gName : geoms) {
            if (!GEOMETRIES.containsKey(gName)) {
                throw new IllegalArgumentException("unknown geometry " + gName + "; allowed: " + GEOMETRIES.keySet());
            }
        }
        // Vector API code is orders of magnitude slower until C2 compiles it: warm every kernel first
        long w0 = System.nanoTime();
        for (String gName : geoms) {
            warmUp(GEOMETRIES.get(gName), variants(methods));
        }
        System.err.printf("warm-up %.1f s%n", (System.nanoTime() - w0) / 1e9);
        for (String gName : geoms) {
            Geometry g = GEOMETRIES.get(gName);
            for (int ctx : contexts) {
                String rows = benchOne(g, ctx, variants(methods), rounds, System.err);
                System.out.print(rows);
                md.append(rows);
            }
        }
        if (out != null) {
            Files.writeString(out, md.toString());
            System.err.println("wrote " + out);
        }
    }

    static void warmUp(Geometry g, List<Variant> variants) {
        int ctx = 1024;
        ModelGeometry model = g.model();
        int kvDim = g.kvHeads() * g.headDim();
        Random rnd = new Random(7);
        float[] kv = new float[ctx * kvDim];
        for (int i = 0; i < kv.length; i++) {
            kv[i] = (float) rnd.nextGaussian();
        }
        int group = g.heads() / g.kvHeads();
        float[] q = Arrays.copyOf(kv, g.heads() * g.headDim());
        float[] scores = new float[group * ctx];
        float[] out = new float[g.heads() * g.headDim()];
        for (Variant v : variants) {
            SequenceKVCache seq;
            try {
                seq = KVCacheBuilder.build(model, v.config());
            } catch (InvalidKVCacheConfigException | UnsupportedOperationException e) {
                continue;
            }
            long t0 = System.nanoTime();
            int rep = 0;
            while (rep < 5 || System.nanoTime() - t0 < 1_500_000_000L) {
                KVCache c = seq.layer(0);
                if (rep % 50 == 0) {
                    seq.close();
                    seq = KVCacheBuilder.build(model, v.config());
                    c = seq.layer(0);
                    c.append(kv, 0, kv, 0, ctx - 200);
                    for (int t = ctx - 200; t < ctx; t++) {
                        c.append(kv, t * kvDim, kv, t * kvDim, 1);
                    }
                }
                attend(c, g, ctx, group, q, scores, out, (float) (1 / Math.sqrt(g.headDim())));
                rep++;
            }
            seq.close();
        }
    }

    static String benchOne(Geometry g, int ctx, List<Variant> variants, int rounds, PrintStream log) {
        ModelGeometry model = g.model();
        Random rnd = new Random(ctx * 31L + g.headDim());
        int kvDim = g.kvHeads() * g.headDim();
        float[] keys = new float[ctx * kvDim];
        float[] values = new float[ctx * kvDim];
        // keys with a per-channel offset and a few outlier channels, as post-RoPE keys have; values plain
        float[] channelMean = new float[g.headDim()];
        for (int d = 0; d < g.headDim(); d++) {
            channelMean[d] = (float) rnd.nextGaussian() * 0.5f;
        }
        for (int i = 0; i < keys.length; i++) {
            int d = i % g.headDim();
            keys[i] = channelMean[d] + (float) rnd.nextGaussian() * (d % 16 == 3 ? 4f : 1f);
            values[i] = (float) rnd.nextGaussian();
        }
        List<Variant> live = new ArrayList<>();
        List<KVCache> caches = new ArrayList<>();
        List<Double> encodeUs = new ArrayList<>();
        for (Variant v : variants) {
            SequenceKVCache seq;
            try {
                seq = KVCacheBuilder.build(model, v.config());
            } catch (InvalidKVCacheConfigException | UnsupportedOperationException e) {
                log.println("skip " + v.label() + ": " + e.getMessage());
                continue;
            }
            KVCache cache = seq.layer(0);
            // prefill in chunks, then measure decode-style single-token appends for the encode cost
            int decodeTokens = Math.min(256, ctx / 2);
            int prefill = ctx - decodeTokens;
            for (int t = 0; t < prefill; t += 4096) {
                int n = Math.min(4096, prefill - t);
                cache.append(keys, t * kvDim, values, t * kvDim, n);
            }
            long t0 = clock();
            for (int t = prefill; t < ctx; t++) {
                cache.append(keys, t * kvDim, values, t * kvDim, 1);
            }
            encodeUs.add((clock() - t0) / 1e3 / decodeTokens);
            live.add(v);
            caches.add(cache);
        }
        int group = g.heads() / g.kvHeads();
        float[] q = new float[g.heads() * g.headDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        float[] scores = new float[group * ctx];
        float[] attnOut = new float[g.heads() * g.headDim()];
        float scale = (float) (1 / Math.sqrt(g.headDim()));
        // calibrate the iterations on the first (fp16) cache to ~40 ms per sample
        int iters = 1;
        while (true) {
            long t0 = clock();
            for (int i = 0; i < iters; i++) {
                attend(caches.get(0), g, ctx, group, q, scores, attnOut, scale);
            }
            long el = clock() - t0;
            if (el > 40_000_000L || iters > 1 << 20) {
                break;
            }
            iters = el < 1_000_000 ? iters * 8 : (int) Math.max(iters + 1, iters * 40_000_000L / el);
        }
        // warm every method's code paths
        for (KVCache c : caches) {
            for (int i = 0; i < Math.max(3, iters / 4); i++) {
                attend(c, g, ctx, group, q, scores, attnOut, scale);
            }
        }
        double[][] samples = new double[caches.size()][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int m = 0; m < caches.size(); m++) {
                long t0 = clock();
                for (int i = 0; i < iters; i++) {
                    attend(caches.get(m), g, ctx, group, q, scores, attnOut, scale);
                }
                samples[m][r] = (clock() - t0) / 1e3 / iters;
            }
        }
        double fp16 = median(samples[0]);
        StringBuilder sb = new StringBuilder();
        for (int m = 0; m < caches.size(); m++) {
            CacheFootprint f = caches.get(m).footprint();
            double us = median(samples[m]);
            sb.append(String.format("| %s | %d | %s | %.2f | %.2f | %.1f | %.2f× | %.1f |%n", g.name(), ctx, live.get(m).label(),
                    f.keyBitsPerElement(), f.valueBitsPerElement(), us, fp16 / us, encodeUs.get(m)));
            caches.get(m).close();
        }
        return sb.toString();
    }

    static void attend(KVCache cache, Geometry g, int ctx, int group, float[] q, float[] scores, float[] out, float scale) {
        for (int h = 0; h < g.kvHeads(); h++) {
            int qOff = h * group * g.headDim();
            cache.scores(h, q, qOff, group, ctx, scores, 0);
            for (int i = 0; i < group; i++) {
                Softmax.inPlace(scores, i * ctx, ctx, scale);
            }
            cache.accumulateValues(h, scores, 0, group, ctx, out, qOff);
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * The benchmark thread's CPU time (ns) when the JVM offers it: on a shared, oversubscribed machine
     * wall time mostly measures waiting for a core. {@code -Dbench.clock=wall} uses wall time.
     */
    static long clock() {
        if (!"wall".equals(System.getProperty("bench.clock")) && THREADS.isCurrentThreadCpuTimeSupported()) {
            return THREADS.getCurrentThreadCpuTime();
        }
        return System.nanoTime();
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
