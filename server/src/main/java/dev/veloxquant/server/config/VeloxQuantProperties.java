package dev.veloxquant.server.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything under {@code veloxquant.*} in application.yml.
 *
 * @param modelDir       the embedded default model, served when {@code models} is empty; the
 *                       environment variable VELOXQUANT_MODEL_DIR overrides it
 * @param defaultModelId the id of that default model
 * @param models         models to serve; each loads at startup
 * @param kvCache        global KV-cache defaults, overridden per model and per request
 * @param apiKeys        accepted bearer keys (VELOXQUANT_API_KEYS adds more); none means no authentication
 */
@ConfigurationProperties("veloxquant")
public record VeloxQuantProperties(Path modelDir, String defaultModelId, List<ModelProperties> models,
                                   KvCacheProperties kvCache, List<String> apiKeys, Limits limits) {

    public VeloxQuantProperties {
        String envDir = System.getenv("VELOXQUANT_MODEL_DIR");
        modelDir = envDir != null && !envDir.isBlank() ? Path.of(envDir)
                : modelDir == null ? Path.of("models/velox-tiny") : modelDir;
        defaultModelId = defaultModelId == null || defaultModelId.isBlank() ? "velox-tiny" : defaultModelId;
        models = models == null ? List.of() : List.copyOf(models);
        kvCache = kvCache == null ? KvCacheProperties.NONE : kvCache;
        apiKeys = apiKeys == null ? List.of() : apiKeys.stream().map(String::trim).filter(k -> !k.isEmpty()).toList();
        limits = limits == null ? Limits.DEFAULT : limits;
    }

    /** One served model: {@code id} is what clients put in {@code "model"}. */
    public record ModelProperties(String id, Path path, KvCacheProperties kvCache) {
        public ModelProperties {
            kvCache = kvCache == null ? KvCacheProperties.NONE : kvCache;
        }
    }

    /** KV-cache settings as written in yml; every field optional (unset inherits from the level below). */
    public record KvCacheProperties(String method, Integer bits, Integer numResiduals, Integer valueBits,
                                    Integer groupSize, Integer windowSize, Path codebook) {
        public static final KvCacheProperties NONE = new KvCacheProperties(null, null, null, null, null, null, null);
    }

    /**
     * @param generationThreads generations running at once (each on its own worker thread)
     * @param maxQueue          requests allowed to wait for a worker; beyond that 429
     * @param requestTimeout    whole-request limit (queue + generation); beyond it 504
     * @param maxRequestSize    largest accepted request body; beyond it 413
     * @param maxN              largest {@code n}
     * @param retryAfter        what a 429 tells clients to wait
     */
    public record Limits(Integer generationThreads, Integer maxQueue, Duration requestTimeout, DataSize maxRequestSize,
                         Integer maxN, Duration retryAfter) {
        public static final Limits DEFAULT = new Limits(null, null, null, null, null, null);

        public Limits {
            generationThreads = generationThreads == null ? Math.max(1, Runtime.getRuntime().availableProcessors() / 2) : generationThreads;
            maxQueue = maxQueue == null ? 16 : maxQueue;
            requestTimeout = requestTimeout == null ? Duration.ofMinutes(5) : requestTimeout;
            maxRequestSize = maxRequestSize == null ? DataSize.ofMegabytes(4) : maxRequestSize;
            maxN = maxN == null ? 8 : maxN;
            retryAfter = retryAfter == null ? Duration.ofSeconds(1) : retryAfter;
            if (generationThreads < 1) {
                throw new IllegalArgumentException("veloxquant.limits.generation-threads must be at least 1, got " + generationThreads);
            }
            if (maxQueue < 0) {
                throw new IllegalArgumentException("veloxquant.limits.max-queue must be 0 or more, got " + maxQueue);
            }
            if (maxN < 1) {
                throw new IllegalArgumentException("veloxquant.limits.max-n must be at least 1, got " + maxN);
            }
        }
    }
}
