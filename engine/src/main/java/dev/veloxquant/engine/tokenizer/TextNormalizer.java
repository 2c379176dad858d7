package dev.veloxquant.engine.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/** tokenizer.json "normalizer": rewrites text before pre-tokenization. */
sealed interface TextNormalizer {

    String normalize(String text);

    record UnicodeForm(Normalizer.Form form) implements TextNormalizer {
        public String normalize(String text) {
            return Normalizer.normalize(text, form);
        }
    }

    record Lowercase() implements TextNormalizer {
        public String normalize(String text) {
            return text.toLowerCase(Locale.ROOT);
        }
    }

    record Prepend(String prefix) implements TextNormalizer {
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    record Replace(SplitPattern pattern, String content) implements TextNormalizer {
        public String normalize(String text) {
            if (pattern.isEmptyLiteral()) {
                return text;
            }
            return pattern.pattern().matcher(text).replaceAll(java.util.regex.Matcher.quoteReplacement(content));
        }
    }

    record Strip(boolean left, boolean right) implements TextNormalizer {
        public String normalize(String text) {
            int start = 0;
            int end = text.length();
            while (left && start < end && Character.isWhitespace(text.codePointAt(start))) {
                start += Character.charCount(text.codePointAt(start));
            }
            while (right && end > start && Character.isWhitespace(text.codePointBefore(end))) {
                end -= Character.charCount(text.codePointBefore(end));
            }
            return text.substring(start, end);
        }
    }

    record Sequence(List<TextNormalizer> steps) implements TextNormalizer {
        public String normalize(String text) {
            for (TextNormalizer step : steps) {
                text = step.normalize(text);
            }
            return text;
        }
    }

    /** Null for a JSON null (no normalizer). */
    static TextNormalizer fromJson(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.path("type").asString("");
        return switch (type) {
            case "NFC" -> new UnicodeForm(Normalizer.Form.NFC);
            case "NFD" -> new UnicodeForm(Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeForm(Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeForm(Normalizer.Form.NFKD);
            case "Lowercase" -> new Lowercase();
            case "Prepend" -> new Prepend(node.path("prepend").asString());
            case "Replace" -> new Replace(SplitPattern.fromJson(node.path("pattern"), "normalizer Replace"), node.path("content").asString());
            case "Strip" -> new Strip(node.path("strip_left").asBoolean(true), node.path("strip_right").asBoolean(true));
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                for (JsonNode child : node.path("normalizers")) {
                    TextNormalizer step = fromJson(child);
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw new UnsupportedTokenizerException("tokenizer.json normalizer type '" + type + "' is not supported"
                    + " (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence)");
        };
    }
}
