package dev.veloxquant.server.api;

import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.error.ApiErrors;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Requires {@code Authorization: Bearer <key>} under {@code /v1} when API keys are configured. Keys
 * are kept only as SHA-256 digests and compared in constant time (digests have one length, and every
 * key is compared); neither keys nor the presented token are ever logged.
 */
@Component
public class ApiKeyFilter implements WebFilter, Ordered {
    private final List<byte[]> keyDigests;

    /** Environment variable with comma-separated keys, accepted in addition to {@code veloxquant.api-keys}. */
    public static final String ENV = "VELOXQUANT_API_KEYS";

    @Autowired
    public ApiKeyFilter(VeloxQuantProperties props) {
        this(props.apiKeys(), System.getenv(ENV));
    }

    ApiKeyFilter(List<String> configured, String fromEnv) {
        Set<String> keys = new LinkedHashSet<>(configured);
        if (fromEnv != null) {
            for (String k : fromEnv.split(",")) {
                if (!k.isBlank()) {
                    keys.add(k.trim());
                }
            }
        }
        this.keyDigests = keys.stream().map(ApiKeyFilter::sha256).toList();
    }

    public boolean enabled() {
        return !keyDigests.isEmpty();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (keyDigests.isEmpty() || !exchange.getRequest().getPath().value().startsWith("/v1")) {
            return chain.filter(exchange);
        }
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            return Mono.error(ApiErrors.unauthorized(
                    "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."));
        }
        if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Mono.error(ApiErrors.unauthorized("The Authorization header must use the Bearer scheme."));
        }
        if (!matches(header.substring(7).trim())) {
            return Mono.error(ApiErrors.unauthorized("Incorrect API key provided."));
        }
        return chain.filter(exchange);
    }

    private boolean matches(String presented) {
        byte[] digest = sha256(presented);
        boolean ok = false;
        for (byte[] key : keyDigests) {
            ok |= MessageDigest.isEqual(digest, key);
        }
        return ok;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 10;
    }
}
