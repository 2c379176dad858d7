package dev.veloxquant.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * tokenizer.json "pre_tokenizer": cuts normalized text into words that BPE sees one at a time.
 * {@code firstAtStart} tells whether the first piece begins the input (Metaspace's "first" scheme).
 */
sealed interface PreTokenizer {

    /** GPT-2's split regex, used by ByteLevel when use_regex is on. */
    Pattern GPT2_PATTERN = OnigurumaRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    List<String> split(List<String> pieces, boolean firstAtStart);

    record Split(SplitPattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                if (pattern.isEmptyLiteral()) {
                    out.add(piece);
                } else {
                    out.addAll(behavior.apply(piece, SplitBehavior.regexSpans(piece, pattern.pattern(), invert)));
                }
            }
            return out;
        }
    }

    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                String p = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
                List<String> words = useRegex
                        ? SplitBehavior.ISOLATED.apply(p, SplitBehavior.regexSpans(p, GPT2_PATTERN, false))
                        : List.of(p);
                for (String w : words) {
                    out.add(ByteLevelAlphabet.encode(w));
                }
            }
            return out;
        }
    }

    record Digits(boolean individual) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            SplitBehavior behavior = individual ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS;
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                out.addAll(behavior.apply(piece, SplitBehavior.charSpans(piece, Digits::isNumeric)));
            }
            return out;
        }

        /** Rust's char::is_numeric: the Nd, Nl and No categories. */
        static boolean isNumeric(int cp) {
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }
    }

    /** SentencePiece-style: spaces become the replacement (▁), optionally prepended and split before. */
    record Metaspace(int replacement, String prependScheme, boolean split) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            String rep = Character.toString(replacement);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < pieces.size(); i++) {
                String p = pieces.get(i).replace(" ", rep);
                boolean prepend = switch (prependScheme) {
                    case "always" -> true;
                    case "first" -> i == 0 && firstAtStart;
                    default -> false;
                };
                if (prepend && !p.startsWith(rep)) {
                    p = rep + p;
                }
                if (split) {
                    out.addAll(SplitBehavior.MERGED_WITH_NEXT.apply(p, SplitBehavior.charSpans(p, cp -> cp == replacement)));
                } else if (!p.isEmpty()) {
                    out.add(p);
                }
            }
            return out;
        }
    }

    /** Splits on whitespace, dropping it (WhitespaceSplit). */
    record WhitespaceSplit() implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                out.addAll(SplitBehavior.REMOVED.apply(piece, SplitBehavior.charSpans(piece, TokenChars::isWhitespace)));
            }
            return out;
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public List<String> split(List<String> pieces, boolean firstAtStart) {
            for (PreTokenizer step : steps) {
                pieces = step.split(pieces, firstAtStart);
            }
            return pieces;
        }
    }

    /** Null for a JSON null (the whole text is one word). */
    static PreTokenizer fromJson(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.path("type").asString("");
        return switch (type) {
            case "Split" -> new Split(SplitPattern.fromJson(node.path("pattern"), "pre_tokenizer Split"),
                    SplitBehavior.fromJson(node.path("behavior").asString("Isolated")), node.path("invert").asBoolean(false));
            case "ByteLevel" -> new ByteLevel(node.path("add_prefix_space").asBoolean(true), node.path("use_regex").asBoolean(true));
            case "Digits" -> new Digits(node.path("individual_digits").asBoolean(false));
            case "Metaspace" -> new Metaspace(metaspaceReplacement(node), metaspacePrependScheme(node), node.path("split").asBoolean(true));
            case "WhitespaceSplit" -> new WhitespaceSplit();
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode child : node.path("pretokenizers")) {
                    PreTokenizer step = fromJson(child);
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw new UnsupportedTokenizerException("tokenizer.json pre_tokenizer type '" + type + "' is not supported"
                    + " (supported: Split, ByteLevel, Digits, Metaspace, WhitespaceSplit, Sequence)");
        };
    }

    static int metaspaceReplacement(JsonNode node) {
        String rep = node.path("replacement").asString("\u2581");
        if (rep.codePointCount(0, rep.length()) != 1) {
            throw new UnsupportedTokenizerException("Metaspace replacement must be one character, got '" + rep + "'");
        }
        return rep.codePointAt(0);
    }

    /** "always", "first" or "never"; older files say add_prefix_space instead. */
    static String metaspacePrependScheme(JsonNode node) {
        if (node.has("prepend_scheme")) {
            return node.get("prepend_scheme").asString().toLowerCase(java.util.Locale.ROOT);
        }
        return node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }
}
