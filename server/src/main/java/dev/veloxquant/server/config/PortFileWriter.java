package dev.veloxquant.server.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * With {@code --veloxquant.port-file=path}, writes the port the server listens on to that file once it
 * is up: scripts can start it on {@code --server.port=0} (a free port) and read the port back.
 */
@Component
public class PortFileWriter implements ApplicationListener<WebServerInitializedEvent> {
    private static final Logger log = LoggerFactory.getLogger(PortFileWriter.class);

    private final String portFile;

    public PortFileWriter(@Value("${veloxquant.port-file:}") String portFile) {
        this.portFile = portFile;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (portFile.isBlank()) {
            return;
        }
        Path target = Path.of(portFile).toAbsolutePath();
        try {
            Path tmp = Files.createTempFile(target.getParent(), ".port", ".tmp");
            Files.writeString(tmp, Integer.toString(event.getWebServer().getPort()));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            log.info("Port {} written to {}", event.getWebServer().getPort(), target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the port file " + target, e);
        }
    }
}
