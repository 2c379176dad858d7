package dev.veloxquant.engine.chat;

/** A chat template could not be found, parsed or rendered; raise_exception(...) in a template lands here too. */
public final class ChatTemplateException extends IllegalArgumentException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
