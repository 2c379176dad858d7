package dev.veloxquant.engine.tokenizer;

/** A tokenizer.json uses a component or option this implementation does not have; the message names it. */
public final class UnsupportedTokenizerException extends IllegalArgumentException {

    public UnsupportedTokenizerException(String message) {
        super(message);
    }
}
