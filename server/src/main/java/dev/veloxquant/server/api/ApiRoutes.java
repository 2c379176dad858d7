package dev.veloxquant.server.api;

import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.error.ApiException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import java.util.Set;

import static org.springframework.web.reactive.function.server.RequestPredicates.path;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

/** Every route of the OpenAI-compatible API, in one place. */
@Configuration(proxyBeanMethods = false)
public class ApiRoutes {

    @Bean
    RouterFunction<ServerResponse> openAiRoutes(CompletionsHandler completions, ChatCompletionsHandler chat,
                                                ModelsHandler models, TokenizeHandler tokenize) {
        return route()
                .POST("/v1/completions", completions::handle)
                .POST("/v1/chat/completions", chat::handle)
                .GET("/v1/models", models::list)
                .GET("/v1/models/{*id}", models::get)
                .POST("/v1/tokenize", tokenize::tokenize)
                .POST("/v1/detokenize", tokenize::detokenize)
                .route(path("/v1/**"), ApiRoutes::wrongMethodOrUnknown)
                .build();
    }

    /** The path exists with another method: 405 with Allow; otherwise an unknown URL: 404. */
    private static Mono<ServerResponse> wrongMethodOrUnknown(ServerRequest request) {
        String p = request.path();
        Set<HttpMethod> allowed = switch (p) {
            case "/v1/completions", "/v1/chat/completions", "/v1/tokenize", "/v1/detokenize" -> Set.of(HttpMethod.POST);
            case "/v1/models" -> Set.of(HttpMethod.GET);
            default -> p.startsWith("/v1/models/") ? Set.of(HttpMethod.GET) : Set.of();
        };
        if (allowed.isEmpty()) {
            return Mono.error(new ApiException(HttpStatus.NOT_FOUND, ApiErrors.INVALID_REQUEST, null, "unknown_url",
                    "Unknown request URL: " + request.method() + " " + p + "."));
        }
        HttpHeaders h = new HttpHeaders();
        h.setAllow(allowed);
        return Mono.error(new ApiException(HttpStatus.METHOD_NOT_ALLOWED, ApiErrors.INVALID_REQUEST, null,
                "method_not_allowed", "Method " + request.method() + " is not allowed on " + p + "; use "
                + allowed.iterator().next() + ".", h));
    }
}
