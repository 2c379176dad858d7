package dev.veloxquant.engine.safetensors;

/** A model directory the engine cannot load; the message names what is unsupported or missing. */
public final class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }

    public UnsupportedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
