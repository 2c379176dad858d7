package dev.veloxquant.server.api;

import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.error.ApiException;
import dev.veloxquant.server.generation.RequestListeners;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

import java.util.stream.Collectors;

/**
 * Answers every error under {@code /v1} in OpenAI's shape, whatever raised it (handlers, filters,
 * the framework). Runs before Spring Boot's own handler, which keeps serving everything else.
 */
@Component
@Order(-2)
public class OpenAiErrorHandler implements WebExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(OpenAiErrorHandler.class);

    /** Exchange attribute holding the requested model id once known (a label for listeners). */
    public static final String MODEL_ATTRIBUTE = OpenAiErrorHandler.class.getName() + ".model";

    private final ApiJson json;
    private final RequestListeners listeners;
    private final long maxRequestBytes;

    public OpenAiErrorHandler(ApiJson json, RequestListeners listeners, VeloxQuantProperties props) {
        this.json = json;
        this.listeners = listeners;
        this.maxRequestBytes = props.limits().maxRequestSize().toBytes();
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        ServerHttpRequest request = exchange.getRequest();
        if (!request.getPath().value().startsWith("/v1")) {
            return Mono.error(ex);
        }
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            // Mid-stream: nothing sensible can be sent any more; let the connection close.
            return Mono.error(ex);
        }
        ApiException api = toApiException(request, ex);
        response.setStatusCode(api.status());
        HttpHeaders headers = response.getHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.addAll(api.headers());
        if (mayHaveUnreadBody(exchange)) {
            headers.set(HttpHeaders.CONNECTION, "close");
        }
        String model = exchange.getAttribute(MODEL_ATTRIBUTE);
        String endpoint = endpointOf(request.getPath().value());
        listeners.each(l -> l.requestFailed(model, endpoint, api.status().value(), api.code()));
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(json.bytes(OpenAiFormat.errorBody(json, api)))));
    }

    private static boolean mayHaveUnreadBody(ServerWebExchange exchange) {
        if (Boolean.TRUE.equals(exchange.getAttribute(RequestBodies.BODY_CONSUMED))) {
            return false;
        }
        HttpHeaders h = exchange.getRequest().getHeaders();
        return h.getContentLength() > 0 || h.containsHeader(HttpHeaders.TRANSFER_ENCODING);
    }

    static String endpointOf(String path) {
        return switch (path) {
            case "/v1/completions" -> "completions";
            case "/v1/chat/completions" -> "chat";
            case "/v1/tokenize" -> "tokenize";
            case "/v1/detokenize" -> "detokenize";
            default -> path.startsWith("/v1/models") ? "models" : "other";
        };
    }

    private ApiException toApiException(ServerHttpRequest request, Throwable ex) {
        if (ex instanceof ApiException api) {
            return api;
        }
        if (ex instanceof DataBufferLimitException) {
            return ApiErrors.tooLarge(maxRequestBytes);
        }
        if (ex instanceof MethodNotAllowedException m) {
            HttpHeaders h = new HttpHeaders();
            h.setAllow(m.getSupportedMethods());
            return new ApiException(HttpStatus.METHOD_NOT_ALLOWED, ApiErrors.INVALID_REQUEST, null,
                    "method_not_allowed", "Method " + request.getMethod() + " is not allowed on " + request.getPath()
                    + "; allowed: " + m.getSupportedMethods().stream().map(Object::toString).collect(Collectors.joining(", ")) + ".", h);
        }
        if (ex instanceof UnsupportedMediaTypeStatusException) {
            return new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ApiErrors.INVALID_REQUEST, null,
                    "unsupported_media_type", "Unsupported Content-Type; send application/json.");
        }
        if (ex instanceof ServerWebInputException in) {
            return ApiErrors.malformedJson(in.getReason() == null ? "" : in.getReason());
        }
        if (ex instanceof ResponseStatusException rse) {
            HttpStatus status = HttpStatus.resolve(rse.getStatusCode().value());
            if (status == HttpStatus.NOT_FOUND) {
                return new ApiException(status, ApiErrors.INVALID_REQUEST, null, "unknown_url",
                        "Unknown request URL: " + request.getMethod() + " " + request.getPath() + ".");
            }
            if (status != null && status.is4xxClientError()) {
                return new ApiException(status, ApiErrors.INVALID_REQUEST, null, null,
                        rse.getReason() == null ? status.getReasonPhrase() : rse.getReason());
            }
        }
        log.error("Unexpected error on {} {}", request.getMethod(), request.getPath(), ex);
        return ApiErrors.internal("The server had an internal error while processing the request.");
    }
}
