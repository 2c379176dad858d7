package dev.veloxquant.engine.tokenizer;

import tools.jackson.databind.JsonNode;

/** One entry of tokenizer.json "added_tokens": matched in the text before the model sees it. */
record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {

    static AddedToken fromJson(JsonNode node) {
        boolean special = node.path("special").asBoolean(false);
        return new AddedToken(node.path("id").asInt(), node.path("content").asString(),
                node.path("single_word").asBoolean(false), node.path("lstrip").asBoolean(false),
                node.path("rstrip").asBoolean(false), node.path("normalized").asBoolean(!special), special);
    }
}
