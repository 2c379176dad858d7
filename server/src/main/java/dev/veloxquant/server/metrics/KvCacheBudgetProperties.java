package dev.veloxquant.server.metrics;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code veloxquant.kv-cache.budget-bytes}: the KV-cache memory one model is expected to hold at
 * most, the denominator of {@code veloxquant_kv_cache_usage_perc} and of the 90 % alert. Accepts
 * plain bytes or units ({@code 512MB}, {@code 2GB}).
 */
@ConfigurationProperties("veloxquant.kv-cache")
public record KvCacheBudgetProperties(DataSize budgetBytes) {
    public static final DataSize DEFAULT_BUDGET = DataSize.ofGigabytes(1);

    public KvCacheBudgetProperties {
        budgetBytes = budgetBytes == null ? DEFAULT_BUDGET : budgetBytes;
        if (budgetBytes.toBytes() <= 0) {
            throw new IllegalArgumentException("veloxquant.kv-cache.budget-bytes must be positive, got " + budgetBytes);
        }
    }
}
