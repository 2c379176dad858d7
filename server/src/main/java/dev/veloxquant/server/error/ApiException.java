package dev.veloxquant.server.error;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * An error the API answers in OpenAI's shape: {@code {"error":{"message","type","param","code"}}}.
 * Carries no stack trace: these are expected outcomes, not bugs.
 */
public final class ApiException extends RuntimeException {
    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final HttpHeaders headers;

    public ApiException(HttpStatus status, String type, String param, String code, String message, HttpHeaders headers) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = headers == null ? HttpHeaders.EMPTY : headers;
    }

    public ApiException(HttpStatus status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public HttpHeaders headers() {
        return headers;
    }
}
