package dev.veloxquant.server.api;

import dev.veloxquant.server.error.ApiException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class ApiKeyFilterTest {

    private static boolean passes(ApiKeyFilter filter, String path, String auth) {
        var req = MockServerHttpRequest.get(path);
        if (auth != null) {
            req.header("Authorization", auth);
        }
        AtomicBoolean reached = new AtomicBoolean();
        try {
            filter.filter(MockServerWebExchange.from(req), ex -> {
                reached.set(true);
                return Mono.empty();
            }).block();
        } catch (ApiException e) {
            assertThat(e.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
            return false;
        }
        return reached.get();
    }

    @Test
    void keysFromConfigurationAndEnvironmentAreBothAccepted() {
        ApiKeyFilter f = new ApiKeyFilter(List.of("from-yml"), " env-1 ,env-2,, ");
        assertThat(f.enabled()).isTrue();
        assertThat(passes(f, "/v1/models", "Bearer from-yml")).isTrue();
        assertThat(passes(f, "/v1/models", "Bearer env-1")).isTrue();
        assertThat(passes(f, "/v1/models", "Bearer env-2")).isTrue();
        assertThat(passes(f, "/v1/models", "Bearer env-3")).isFalse();
        assertThat(passes(f, "/v1/models", null)).isFalse();
    }

    @Test
    void onlyTheApiIsProtected() {
        ApiKeyFilter f = new ApiKeyFilter(List.of("k"), null);
        assertThat(passes(f, "/actuator/health", null)).isTrue();
    }

    @Test
    void noKeysMeansNoAuthentication() {
        ApiKeyFilter f = new ApiKeyFilter(List.of(), "");
        assertThat(f.enabled()).isFalse();
        assertThat(passes(f, "/v1/models", null)).isTrue();
    }
}
