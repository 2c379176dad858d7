package dev.veloxquant.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What tokenizer.json's "post_processor" adds around a single sequence (e.g. BOS before it), read from
 * TemplateProcessing, BertProcessing or RobertaProcessing; ByteLevel adds nothing.
 */
record SpecialTokenTemplate(int[] prefix, int[] suffix) {

    static final SpecialTokenTemplate NONE = new SpecialTokenTemplate(new int[0], new int[0]);

    static SpecialTokenTemplate fromJson(JsonNode node) {
        if (node == null || node.isNull()) {
            return NONE;
        }
        String type = node.path("type").asString("");
        return switch (type) {
            case "ByteLevel" -> NONE;
            case "TemplateProcessing" -> fromTemplate(node);
            case "BertProcessing", "RobertaProcessing" -> new SpecialTokenTemplate(
                    new int[] {node.path("cls").get(1).asInt()}, new int[] {node.path("sep").get(1).asInt()});
            case "Sequence" -> {
                List<Integer> prefix = new ArrayList<>();
                List<Integer> suffix = new ArrayList<>();
                for (JsonNode child : node.path("processors")) {
                    SpecialTokenTemplate t = fromJson(child);
                    for (int id : t.prefix) {
                        prefix.add(id);
                    }
                    for (int id : t.suffix) {
                        suffix.add(id);
                    }
                }
                yield new SpecialTokenTemplate(prefix.stream().mapToInt(Integer::intValue).toArray(),
                        suffix.stream().mapToInt(Integer::intValue).toArray());
            }
            default -> throw new UnsupportedTokenizerException("tokenizer.json post_processor type '" + type + "' is not supported"
                    + " (supported: TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence)");
        };
    }

    private static SpecialTokenTemplate fromTemplate(JsonNode node) {
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        boolean seenSequence = false;
        for (JsonNode piece : node.path("single")) {
            if (piece.has("Sequence")) {
                seenSequence = true;
            } else if (piece.has("SpecialToken")) {
                String name = piece.get("SpecialToken").path("id").asString();
                JsonNode special = node.path("special_tokens").path(name);
                if (special.isMissingNode()) {
                    throw new IllegalArgumentException("tokenizer.json post_processor names special token '" + name + "' but does not define it");
                }
                for (JsonNode id : special.path("ids")) {
                    (seenSequence ? suffix : prefix).add(id.asInt());
                }
            }
        }
        return new SpecialTokenTemplate(prefix.stream().mapToInt(Integer::intValue).toArray(),
                suffix.stream().mapToInt(Integer::intValue).toArray());
    }
}
