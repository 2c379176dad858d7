package dev.veloxquant.server.api;

import io.netty.channel.Channel;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;

/**
 * Tells when the client's connection closes. Reactor Netty only notices a vanished client when it
 * writes to it, so a non-streaming request (or a stream during a long prefill) would keep generating
 * for nobody; the channel's close future fires at once.
 */
final class ClientConnection {
    private ClientConnection() {
    }

    /** Completes when the connection closes; never completes when the server is not Reactor Netty. */
    static Mono<Void> closed(ServerRequest request) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request.exchange().getRequest());
        if (!(nativeRequest instanceof Connection connection)) {
            return Mono.never();
        }
        Channel channel = connection.channel();
        Sinks.Empty<Void> closed = Sinks.empty();
        channel.closeFuture().addListener(f -> closed.tryEmitEmpty());
        return closed.asMono();
    }
}
