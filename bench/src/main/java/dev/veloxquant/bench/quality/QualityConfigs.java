package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.commvq.CommVQCodebook;

import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.List;

/** The method and bit settings the quality report compares, fp16 first (the reference). */
final class QualityConfigs {
    private QualityConfigs() {
    }

    record Named(String label, KVCacheConfig config) {
    }

    static List<Named> defaults() {
        return defaults(null);
    }

    /**
     * The default settings; with {@code modelDir}, a calibrated row ("commvq 2x2 cal") after each
     * calibration-free commvq row whose codebook file exists next to the model.
     */
    static List<Named> defaults(Path modelDir) {
        List<Named> c = new ArrayList<>();
        c.add(new Named("fp16", KVCacheConfig.fp16()));
        c.add(new Named("int8", KVCacheConfig.of(KVCacheMethod.INT8)));
        c.add(new Named("int4", KVCacheConfig.of(KVCacheMethod.INT4)));
        c.add(new Named("int2", KVCacheConfig.of(KVCacheMethod.INT2)));
        // Keys-only KIVI: the fair partner of commvq / turboquant with fp16 values.
        c.add(new Named("int4 vb16", KVCacheConfig.of(KVCacheMethod.INT4).withValueBits(16)));
        c.add(new Named("int2 vb16", KVCacheConfig.of(KVCacheMethod.INT2).withValueBits(16)));
        for (int[] br : new int[][] {{2, 2}, {1, 2}, {2, 1}, {1, 1}}) {
            c.add(commvq(br[0], br[1], null));
            if (modelDir != null && Files.isRegularFile(modelDir.resolve(CommVQCodebook.fileName(br[0], br[1])))) {
                c.add(calibrated(br[0], br[1], null));
            }
        }
        c.add(commvq(2, 2, 4));
        c.add(turbo(2, 2, null));
        c.add(turbo(1, 2, null));
        c.add(turbo(2, 2, 4));
        return c;
    }

    /** Parses "fp16,int4,commvq:b=2:r=2:vb=4,commvq:b=2:r=2:cal,turboquant:b=1:r=2" ({@code cal}: the calibrated codebook). */
    static List<Named> parse(String spec) {
        List<Named> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            String[] parts = item.trim().split(":");
            KVCacheMethod m = KVCacheMethod.parse(parts[0]);
            int b = KVCacheConfig.DEFAULT_BITS;
            int r = KVCacheConfig.DEFAULT_NUM_RESIDUALS;
            Integer vb = null;
            boolean cal = false;
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=");
                switch (kv[0]) {
                    case "cal" -> cal = true;
                    case "b" -> b = Integer.parseInt(kv[1]);
                    case "r" -> r = Integer.parseInt(kv[1]);
                    case "vb" -> vb = Integer.parseInt(kv[1]);
                    default -> throw new IllegalArgumentException("unknown option '" + kv[0] + "' in " + item + " (b, r, vb, cal)");
                }
            }
            out.add(switch (m) {
                case COMMVQ -> cal ? calibrated(b, r, vb) : commvq(b, r, vb);
                case TURBOQUANT -> turbo(b, r, vb);
                default -> new Named(m.id() + (vb == null ? "" : " vb" + vb), KVCacheConfig.of(m).withValueBits(vb));
            });
        }
        if (out.isEmpty() || out.get(0).config().method() != KVCacheMethod.FP16) {
            out.add(0, new Named("fp16", KVCacheConfig.fp16()));
        }
        return out;
    }

    /** Calibration-free commvq, even where the model has a calibrated codebook file. */
    private static Named commvq(int b, int r, Integer vb) {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(b).withNumResiduals(r).withValueBits(vb)
                .withCodebookPath(KVCacheConfig.CALIBRATION_FREE);
        return new Named("commvq " + b + "x" + r + (vb == null ? "" : " vb" + vb), c);
    }

    /** commvq with the model's calibrated codebook file, named explicitly so a missing file is an error, not a silent default. */
    private static Named calibrated(int b, int r, Integer vb) {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.COMMVQ).withBits(b).withNumResiduals(r).withValueBits(vb)
                .withCodebookPath(Path.of(CommVQCodebook.fileName(b, r)));
        return new Named("commvq " + b + "x" + r + " cal" + (vb == null ? "" : " vb" + vb), c);
    }

    private static Named turbo(int b, int r, Integer vb) {
        KVCacheConfig c = KVCacheConfig.of(KVCacheMethod.TURBOQUANT).withBits(b).withNumResiduals(r).withValueBits(vb);
        return new Named("turboquant " + b + "x" + r + (vb == null ? "" : " vb" + vb), c);
    }
}
