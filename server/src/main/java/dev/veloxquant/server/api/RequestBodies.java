package dev.veloxquant.server.api;

import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.error.ApiErrors;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a request body as a JSON object within the size limit. Marks the exchange once the body is
 * fully read: an error answered before that must close the connection, or the unread body would be
 * parsed as the next request on a keep-alive connection.
 */
@Component
public class RequestBodies {
    /** Exchange attribute set once the request body has been consumed. */
    public static final String BODY_CONSUMED = RequestBodies.class.getName() + ".consumed";

    private final JsonMapper mapper;
    private final long maxBytes;

    public RequestBodies(ApiJson json, VeloxQuantProperties props) {
        this.mapper = json.mapper();
        this.maxBytes = props.limits().maxRequestSize().toBytes();
    }

    Mono<JsonRequest> readJson(ServerRequest request) {
        MediaType type = request.headers().contentType().orElse(null);
        if (type != null && !MediaType.APPLICATION_JSON.isCompatibleWith(type)
                && !"json".equals(type.getSubtypeSuffix())) {
            return Mono.error(new dev.veloxquant.server.error.ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    ApiErrors.INVALID_REQUEST, null, "unsupported_media_type",
                    "Content-Type '" + type + "' is not supported; send application/json."));
        }
        long declared = request.headers().contentLength().orElse(-1);
        if (declared > maxBytes) {
            return Mono.error(ApiErrors.tooLarge(maxBytes));
        }
        ServerWebExchange exchange = request.exchange();
        return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), (int) Math.min(Integer.MAX_VALUE, maxBytes))
                .map(buf -> {
                    try {
                        byte[] bytes = new byte[buf.readableByteCount()];
                        buf.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(buf);
                    }
                })
                .defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, e -> ApiErrors.tooLarge(maxBytes))
                .map(bytes -> {
                    exchange.getAttributes().put(BODY_CONSUMED, Boolean.TRUE);
                    return parse(bytes);
                });
    }

    private JsonRequest parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiErrors.malformedJson("The body is empty; send a JSON object.");
        }
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiErrors.malformedJson(e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode obj)) {
            throw ApiErrors.malformedJson("The body must be a JSON object.");
        }
        return JsonRequest.root(obj);
    }
}
