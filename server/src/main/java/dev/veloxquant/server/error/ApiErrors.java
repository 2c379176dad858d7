package dev.veloxquant.server.error;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

import java.time.Duration;

/** The errors the API gives, in one place so types and codes stay consistent. */
public final class ApiErrors {
    public static final String INVALID_REQUEST = "invalid_request_error";

    private ApiErrors() {
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "invalid_value", message);
    }

    public static ApiException wrongType(String param, String expected) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ".");
    }

    public static ApiException missing(String param) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "missing_required_parameter",
                "Missing required parameter: '" + param + "'.");
    }

    public static ApiException unknownParameter(String param) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "unknown_parameter",
                "Unrecognized request argument supplied: " + param);
    }

    public static ApiException unsupported(String param, String why) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "unsupported_parameter",
                "'" + param + "' is not supported by this server" + (why == null ? "." : ": " + why));
    }

    public static ApiException invalidKvCache(InvalidKVCacheConfigException e) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, "kv_cache." + e.field(), "invalid_kv_cache",
                e.getMessage());
    }

    public static ApiException malformedJson(String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, null, "invalid_json",
                "We could not parse the JSON body of your request. " + detail);
    }

    public static ApiException contextLength(String param, int context, int prompt, int completion) {
        return new ApiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "context_length_exceeded",
                "This model's maximum context length is " + context + " tokens. However, you requested "
                        + (prompt + completion) + " tokens (" + prompt + " in the prompt, " + completion
                        + " in the completion). Please reduce the length of the prompt or the max_tokens.");
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(HttpStatus.NOT_FOUND, INVALID_REQUEST, "model", "model_not_found",
                "The model '" + model + "' does not exist.");
    }

    public static ApiException modelNotReady(String model, String why) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", "model", "model_not_ready",
                "The model '" + model + "' is not ready: " + why);
    }

    public static ApiException unauthorized(String message) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        return new ApiException(HttpStatus.UNAUTHORIZED, INVALID_REQUEST, null, "invalid_api_key", message, h);
    }

    public static ApiException overloaded(Duration retryAfter) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", null, "rate_limit_exceeded",
                "The server is busy: all generation workers and queue slots are taken. Please retry after "
                        + Math.max(1, retryAfter.toSeconds()) + " s.", h);
    }

    public static ApiException kvCacheBudgetFull(Duration retryAfter, long budget) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limit_error", null, "kv_cache_budget_exceeded",
                "The model's KV-cache budget of " + budget + " bytes is in use. Please retry after "
                        + Math.max(1, retryAfter.toSeconds()) + " s.", h);
    }

    public static ApiException timeout(Duration limit) {
        return new ApiException(HttpStatus.GATEWAY_TIMEOUT, "timeout_error", null, "request_timeout",
                "The request did not finish within the server's limit of " + limit.toSeconds() + " s.");
    }

    public static ApiException tooLarge(long limitBytes) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, INVALID_REQUEST, null, "request_too_large",
                "The request body is larger than the limit of " + limitBytes + " bytes.");
    }

    public static ApiException internal(String message) {
        return new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, "internal_error", message);
    }
}
