package dev.veloxquant.cache;

import java.nio.file.Path;

/**
 * How one sequence's KV cache is stored. Validated on construction; an invalid combination throws
 * {@link InvalidKVCacheConfigException} naming the field (API spelling) and the allowed values.
 *
 * @param method       the KV-cache method
 * @param bits         commvq / turboquant: bits per element per residual stage, 1-4 (key bits per
 *                     element = bits x numResiduals). For fp16 / intN it must be left at the default
 *                     or equal the method's own width.
 * @param numResiduals commvq / turboquant: residual stages, 1-4
 * @param valueBits    bits per value element: 16 (fp16), 8, 4 or 2; {@code null} means the method's
 *                     default (N for intN, as KIVI quantizes values too; 16 otherwise)
 * @param groupSize    tokens per quantization group (KIVI key groups, CommVQ blocks), 8-1024, power of two
 * @param windowSize   newest tokens kept in fp16 before they are quantized (KIVI residual window), 0-4096
 * @param codebookPath commvq only: an explicit codebook file (relative paths resolve against the model
 *                     directory); {@code null} uses the model's calibrated file
 *                     ({@code commvq-codebook-b<bits>r<R>.bin}) if one exists next to the model, else
 *                     the calibration-free default; {@link #CALIBRATION_FREE} ({@code none}) forces the
 *                     default. Whether the file exists and matches is checked when the cache is built.
 */
public record KVCacheConfig(KVCacheMethod method, int bits, int numResiduals, Integer valueBits,
                            int groupSize, int windowSize, Path codebookPath) {

    public static final int DEFAULT_BITS = 2;
    public static final int DEFAULT_NUM_RESIDUALS = 2;
    public static final int DEFAULT_GROUP_SIZE = 32;
    public static final int DEFAULT_WINDOW_SIZE = 32;
    /** The {@code codebook} value that forces calibration-free commvq even where a calibrated file exists. */
    public static final Path CALIBRATION_FREE = Path.of("none");

    public KVCacheConfig {
        if (method == null) {
            throw new InvalidKVCacheConfigException("method", "method is required; allowed: " + KVCacheMethod.allowedNames());
        }
        switch (method) {
            case COMMVQ, TURBOQUANT -> {
                if (bits < 1 || bits > 4) {
                    throw new InvalidKVCacheConfigException("bits", "bits must be 1, 2, 3 or 4 for " + method + ", got " + bits);
                }
                if (numResiduals < 1 || numResiduals > 4) {
                    throw new InvalidKVCacheConfigException("num_residuals",
                            "num_residuals must be 1, 2, 3 or 4 for " + method + ", got " + numResiduals);
                }
            }
            case FP16, INT8, INT4, INT2 -> {
                int own = ownBits(method);
                if (bits != DEFAULT_BITS && bits != own) {
                    throw new InvalidKVCacheConfigException("bits", "bits is fixed by method " + method + " (" + own
                            + "); choose the method int8, int4 or int2 instead, got bits=" + bits);
                }
                if (numResiduals != DEFAULT_NUM_RESIDUALS && numResiduals != 1) {
                    throw new InvalidKVCacheConfigException("num_residuals",
                            "num_residuals applies to commvq and turboquant only, got " + numResiduals + " for " + method);
                }
            }
        }
        if (valueBits != null && valueBits != 16 && valueBits != 8 && valueBits != 4 && valueBits != 2) {
            throw new InvalidKVCacheConfigException("value_bits", "value_bits must be 16, 8, 4 or 2, got " + valueBits);
        }
        if (method == KVCacheMethod.FP16 && valueBits != null && valueBits != 16) {
            throw new InvalidKVCacheConfigException("value_bits", "value_bits must be 16 for fp16, got " + valueBits);
        }
        if (groupSize < 8 || groupSize > 1024 || Integer.bitCount(groupSize) != 1) {
            throw new InvalidKVCacheConfigException("group_size", "group_size must be a power of two in 8..1024, got " + groupSize);
        }
        if (windowSize < 0 || windowSize > 4096) {
            throw new InvalidKVCacheConfigException("window_size", "window_size must be in 0..4096, got " + windowSize);
        }
        if (codebookPath != null && method != KVCacheMethod.COMMVQ) {
            throw new InvalidKVCacheConfigException("codebook", "a codebook applies to commvq only, not " + method);
        }
        if (codebookPath != null && codebookPath.toString().isBlank()) {
            throw new InvalidKVCacheConfigException("codebook", "codebook must name a file, or 'none' for calibration-free commvq");
        }
    }

    /** Defaults for a method: 2 bits x 2 residuals, the method's value width, groups of 32, window 32. */
    public static KVCacheConfig of(KVCacheMethod method) {
        return new KVCacheConfig(method, DEFAULT_BITS, DEFAULT_NUM_RESIDUALS, null, DEFAULT_GROUP_SIZE, DEFAULT_WINDOW_SIZE, null);
    }

    public static KVCacheConfig fp16() {
        return of(KVCacheMethod.FP16);
    }

    public KVCacheConfig withBits(int b) {
        return new KVCacheConfig(method, b, numResiduals, valueBits, groupSize, windowSize, codebookPath);
    }

    public KVCacheConfig withNumResiduals(int r) {
        return new KVCacheConfig(method, bits, r, valueBits, groupSize, windowSize, codebookPath);
    }

    public KVCacheConfig withValueBits(Integer vb) {
        return new KVCacheConfig(method, bits, numResiduals, vb, groupSize, windowSize, codebookPath);
    }

    public KVCacheConfig withGroupSize(int g) {
        return new KVCacheConfig(method, bits, numResiduals, valueBits, g, windowSize, codebookPath);
    }

    public KVCacheConfig withWindowSize(int w) {
        return new KVCacheConfig(method, bits, numResiduals, valueBits, groupSize, w, codebookPath);
    }

    public KVCacheConfig withCodebookPath(Path p) {
        return new KVCacheConfig(method, bits, numResiduals, valueBits, groupSize, windowSize, p);
    }

    /** Nominal key bits per element before overhead: 16, 8, 4, 2, or bits x numResiduals. */
    public int nominalKeyBits() {
        return switch (method) {
            case COMMVQ, TURBOQUANT -> bits * numResiduals;
            default -> ownBits(method);
        };
    }

    /** Value bits per element after resolving the method default. */
    public int effectiveValueBits() {
        if (valueBits != null) {
            return valueBits;
        }
        return switch (method) {
            case INT8, INT4, INT2 -> ownBits(method);
            default -> 16;
        };
    }

    private static int ownBits(KVCacheMethod m) {
        return switch (m) {
            case FP16 -> 16;
            case INT8 -> 8;
            case INT4 -> 4;
            case INT2 -> 2;
            default -> throw new IllegalStateException();
        };
    }
}
