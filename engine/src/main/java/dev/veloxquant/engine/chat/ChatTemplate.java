package dev.veloxquant.engine.chat;

import java.util.List;

/** A model's Jinja chat template, rendered the way transformers' apply_chat_template does. */
public interface ChatTemplate {

    /** Renders the conversation; with {@code addGenerationPrompt} the assistant turn is opened. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);
}
