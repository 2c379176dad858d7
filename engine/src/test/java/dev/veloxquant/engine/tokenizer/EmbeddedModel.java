package dev.veloxquant.engine.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the embedded model (models/velox-tiny) and its reference fixtures are, from any working directory. */
public final class EmbeddedModel {

    private EmbeddedModel() {
    }

    public static Path directory() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("models").resolve("velox-tiny");
            if (Files.isRegularFile(candidate.resolve("tokenizer.json"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("models/velox-tiny/tokenizer.json not found above " + Path.of("").toAbsolutePath());
    }

    public static Path reference(String file) {
        return directory().resolve("reference").resolve(file);
    }
}
