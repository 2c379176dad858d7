package dev.veloxquant.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * tokenizer.json "pre_tokenizer": cuts normalized text into words that BPE sees one at a time.
 * {@code startLimit}: pieces whose offset is below it come from the input's first character (what
 * Metaspace's "first" scheme looks at); 0 when the text does not begin the input.
 */
sealed interface PreTokenizer {

    /** GPT-2's split regex, used by ByteLevel when use_regex is on. */
    Pattern GPT2_PATTERN = OnigurumaRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** A piece of text and where it starts in the normalized text it was cut from. */
    record Piece(String text, int offset) {
    }

    List<Piece> split(List<Piece> pieces, int startLimit);

    record Split(SplitPattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            List<Piece> out = new ArrayList<>();
            for (Piece piece : pieces) {
                if (pattern.isEmptyLiteral()) {
                    out.add(piece);
                } else {
                    out.addAll(behavior.apply(piece, SplitBehavior.regexSpans(piece.text(), pattern.pattern(), invert)));
                }
            }
            return out;
        }
    }

    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            List<Piece> out = new ArrayList<>();
            for (Piece piece : pieces) {
                Piece p = addPrefixSpace && !piece.text().startsWith(" ") ? new Piece(" " + piece.text(), piece.offset()) : piece;
                List<Piece> words = useRegex
                        ? SplitBehavior.ISOLATED.apply(p, SplitBehavior.regexSpans(p.text(), GPT2_PATTERN, false))
                        : List.of(p);
                for (Piece w : words) {
                    out.add(new Piece(ByteLevelAlphabet.encode(w.text()), w.offset()));
                }
            }
            return out;
        }
    }

    record Digits(boolean individual) implements PreTokenizer {
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            SplitBehavior behavior = individual ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS;
            List<Piece> out = new ArrayList<>();
            for (Piece piece : pieces) {
                out.addAll(behavior.apply(piece, SplitBehavior.charSpans(piece.text(), Digits::isNumeric)));
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
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            String rep = Character.toString(replacement);
            List<Piece> out = new ArrayList<>();
            for (Piece piece : pieces) {
                String p = piece.text().replace(" ", rep);
                boolean prepend = switch (prependScheme) {
                    case "always" -> true;
                    case "first" -> piece.offset() < startLimit;
                    default -> false;
                };
                if (prepend && !p.startsWith(rep)) {
                    p = rep + p;
                }
                Piece replaced = new Piece(p, piece.offset());
                if (split) {
                    out.addAll(SplitBehavior.MERGED_WITH_NEXT.apply(replaced, SplitBehavior.charSpans(p, cp -> cp == replacement)));
                } else if (!p.isEmpty()) {
                    out.add(replaced);
                }
            }
            return out;
        }
    }

    /** Splits on whitespace, dropping it (WhitespaceSplit). */
    record WhitespaceSplit() implements PreTokenizer {
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            List<Piece> out = new ArrayList<>();
            for (Piece piece : pieces) {
                out.addAll(SplitBehavior.REMOVED.apply(piece, SplitBehavior.charSpans(piece.text(), TokenChars::isWhitespace)));
            }
            return out;
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        public List<Piece> split(List<Piece> pieces, int startLimit) {
            for (PreTokenizer step : steps) {
                pieces = step.split(pieces, startLimit);
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
