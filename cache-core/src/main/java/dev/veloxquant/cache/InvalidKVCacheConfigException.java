package dev.veloxquant.cache;

/**
 * A KV-cache setting that cannot be used. {@link #field()} names the offending field in the API's
 * snake_case spelling ({@code bits}, {@code num_residuals}, ...) so callers can point at it.
 */
public final class InvalidKVCacheConfigException extends IllegalArgumentException {
    private final String field;

    public InvalidKVCacheConfigException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
