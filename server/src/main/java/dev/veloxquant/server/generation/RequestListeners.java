package dev.veloxquant.server.generation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.function.Consumer;

/** Fans events out to every {@link RequestListener} bean; a failing listener is logged, never fatal. */
@Component
public class RequestListeners {
    private static final Logger log = LoggerFactory.getLogger(RequestListeners.class);

    private final ObjectProvider<RequestListener> provider;
    private volatile List<RequestListener> listeners;

    public RequestListeners(ObjectProvider<RequestListener> provider) {
        this.provider = provider;
    }

    private List<RequestListener> listeners() {
        List<RequestListener> l = listeners;
        if (l == null) {
            l = provider.orderedStream().toList();
            listeners = l;
        }
        return l;
    }

    public void each(Consumer<RequestListener> event) {
        for (RequestListener l : listeners()) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.warn("Request listener {} failed: {}", l.getClass().getName(), e.toString());
            }
        }
    }
}
