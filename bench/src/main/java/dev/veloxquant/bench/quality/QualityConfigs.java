package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;

import java.util.ArrayList;
import java.util.List;

/** The method and bit settings the quality report compares, fp16 first (the reference). */
final class QualityConfigs {
    private QualityConfigs() {
    }

    record Named(String label, KVCacheConfig config) {
    }

    static List<Named> defaults() {
        List<Named> c = new ArrayList<>();
        c.add(new Named("fp16", KVCacheConfig.fp16()));
        c.add(new Named("int8", KVCacheConfig.of(KVCacheMethod.INT8)));
        c.add(new Named("int4", KVCacheConfig.of(KVCacheMethod.INT4)));
        c.add(new Named("int2", KVCacheConfig.of(KVCacheMethod.INT2)));
        // Keys-only KIVI: the fair partner of commvq / turboquant with fp16 values.
        c.add(new Named("int4 vb16", KVCacheConfig.of(KVCacheMethod.INT4).withValueBits(16)));
        c.add(new Named("int2 vb16", KVCacheConfig.of(KVCacheMethod.INT2).withValueBits(16)));
        c.add(commvq(2, 2, null));
        c.add(commvq(1, 2, null));
        c.add(commvq(2, 1, null));
        c.add(commvq(1, 1, null));
        c.add(commvq(2, 2, 4));
        c.add(turbo(2, 2, null));
        c.add(turbo(1, 2, null));
        c.add(turbo(2, 2, 4));
        return c;
    }

    /** Parses "fp16,int4,commvq:b=2:r=2:vb=4,turboquant:b=1:r=2". */
    static List<Named> parse(String spec) {
        List<Named> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            String[] parts = item.trim().split(":");
            KVCacheMethod m = KVCacheMethod.parse(parts[0]);
            int b = KVCacheConfig.DEFAULT_BITS;
            int r = KVCacheConfig.DEFAULT_NUM_RESIDUALS;
            Integer vb = null;
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=");
                switch (kv[0]) {
                    case "b" -> b = Integer.parseInt(kv[1]);
                    case "r" -> r = Integer.parseInt(kv[1]);
                    case "vb" -> vb = Integer.parseInt(kv[1]);
                    default -> throw new IllegalArgumentException("unknown option '" + kv[0] + "' in " + item + " (b, r, vb)");
                }
            }
            out.add(switch (m) {
                case COMMVQ -> commvq(b, r, vb);
                case TURBOQUANT -> turbo(b, r, vb);
                default -> new Named(m.id() + (vb == null ? "" : " vb" + vb), KVCacheConfig.of(m).withValueBits(vb));
            });
        }
        if (out.isEmpty() || out.get(0).config().method() != KVCacheMethod.FP16) {
            out.add(0, new Named("fp16", KVCacheConfig.fp16()));
        }
        return out;
    }

    private static Named commvq(int b, int r, Integer vb) {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(b).withNumResiduals(r).withValueBits(vb);
        return new Named("commvq " + b + "x" + r + (vb == null ? "" : " vb" + vb), c);
    }

    private static Named turbo(int b, int r, Integer vb) {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.TURBOQUANT).withBits(b).withNumResiduals(r).withValueBits(vb);
        return new Named("turboquant " + b + "x" + r + (vb == null ? "" : " vb" + vb), c);
    }
}
