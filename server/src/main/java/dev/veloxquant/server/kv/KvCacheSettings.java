package dev.veloxquant.server.kv;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.config.VeloxQuantProperties.KvCacheProperties;

import java.nio.file.Path;

/**
 * One level of KV-cache settings (global yml, model yml, request), every field optional. Levels are
 * layered with {@link #over}: request over model over global, and {@link #toConfig} fills what is
 * still unset with cache-core's defaults.
 *
 * <p>{@code bits}, {@code num_residuals}, {@code value_bits} and {@code codebook} belong to the method
 * they were set with: a level that switches to another method drops them from the levels below (a
 * model default of {@code commvq, bits 1} must not turn a request for {@code int4} into an error).
 * {@code group_size} and {@code window_size} carry over.
 */
public record KvCacheSettings(KVCacheMethod method, Integer bits, Integer numResiduals, Integer valueBits,
                              Integer groupSize, Integer windowSize, Path codebook) {

    public static final KvCacheSettings NONE = new KvCacheSettings(null, null, null, null, null, null, null);

    /** Reads a yml level; an unknown method fails naming the field. */
    public static KvCacheSettings of(KvCacheProperties p) {
        KVCacheMethod m = p.method() == null || p.method().isBlank() ? null : KVCacheMethod.parse(p.method());
        return new KvCacheSettings(m, p.bits(), p.numResiduals(), p.valueBits(), p.groupSize(), p.windowSize(), p.codebook());
    }

    /** These settings on top of {@code base}. */
    public KvCacheSettings over(KvCacheSettings base) {
        boolean switchesMethod = method != null && base.method != null && method != base.method;
        KvCacheSettings below = switchesMethod
                ? new KvCacheSettings(base.method, null, null, null, base.groupSize, base.windowSize, null)
                : base;
        return new KvCacheSettings(
                first(method, below.method), first(bits, below.bits), first(numResiduals, below.numResiduals),
                first(valueBits, below.valueBits), first(groupSize, below.groupSize),
                first(windowSize, below.windowSize), first(codebook, below.codebook));
    }

    /** The full configuration; throws {@link InvalidKVCacheConfigException} naming the bad field. */
    public KVCacheConfig toConfig() {
        return new KVCacheConfig(
                method == null ? KVCacheMethod.FP16 : method,
                bits == null ? KVCacheConfig.DEFAULT_BITS : bits,
                numResiduals == null ? KVCacheConfig.DEFAULT_NUM_RESIDUALS : numResiduals,
                valueBits,
                groupSize == null ? KVCacheConfig.DEFAULT_GROUP_SIZE : groupSize,
                windowSize == null ? KVCacheConfig.DEFAULT_WINDOW_SIZE : windowSize,
                codebook);
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }
}
