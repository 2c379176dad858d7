package dev.veloxquant.engine.chat;

/** One message of a conversation; role is system, user or assistant. */
public record ChatMessage(String role, String content) {
}
