package dev.veloxquant.engine.tokenizer;

import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** The {"String": ...} or {"Regex": ...} pattern of Split, Replace normalizers and decoders. */
record SplitPattern(Pattern pattern, String source) {

    static SplitPattern fromJson(JsonNode node, String where) {
        if (node.has("String")) {
            String literal = node.get("String").asString();
            return new SplitPattern(Pattern.compile(Pattern.quote(literal)), literal);
        }
        if (node.has("Regex")) {
            String regex = node.get("Regex").asString();
            return new SplitPattern(OnigurumaRegex.compile(regex), regex);
        }
        throw new UnsupportedTokenizerException(where + ": pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + node);
    }

    boolean isEmptyLiteral() {
        return source.isEmpty();
    }
}
