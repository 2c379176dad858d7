package dev.veloxquant.engine.api;

/** Why a generation ended; {@link #openAiName()} is the OpenAI {@code finish_reason}. */
public enum FinishReason {
    STOP("stop"),
    LENGTH("length"),
    CANCELLED("cancelled");

    private final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }

    public String openAiName() {
        return openAiName;
    }
}
