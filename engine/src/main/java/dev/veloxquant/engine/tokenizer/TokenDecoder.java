package dev.veloxquant.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * tokenizer.json "decoder": turns token strings back into text. Pieces are kept as bytes so a character
 * split across byte-level or byte-fallback tokens survives until the caller joins them.
 */
sealed interface TokenDecoder {

    List<byte[]> decode(List<byte[]> pieces);

    private static String text(byte[] piece) {
        return new String(piece, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    record ByteLevel() implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            List<byte[]> out = new ArrayList<>(pieces.size());
            for (byte[] piece : pieces) {
                byte[] raw = ByteLevelAlphabet.decode(text(piece));
                out.add(raw != null ? raw : piece);
            }
            return out;
        }
    }

    /** Literal patterns are replaced on the bytes, so a piece holding part of a character stays intact. */
    record Replace(SplitPattern pattern, String content, boolean literal) implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            if (literal) {
                byte[] from = bytes(pattern.source());
                byte[] to = bytes(content);
                return pieces.stream().map(p -> Utf8Bytes.replace(p, from, to)).toList();
            }
            TextNormalizer.Replace replace = new TextNormalizer.Replace(pattern, content);
            return pieces.stream().map(p -> bytes(replace.normalize(text(p)))).toList();
        }
    }

    /** <0xAB> tokens become the byte they name. */
    record ByteFallback() implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            List<byte[]> out = new ArrayList<>(pieces.size());
            for (byte[] piece : pieces) {
                out.add(isByteToken(piece) ? new byte[] {(byte) Integer.parseInt(text(piece).substring(3, 5), 16)} : piece);
            }
            return out;
        }

        static boolean isByteToken(byte[] p) {
            return p.length == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x' && p[5] == '>'
                    && Character.digit(p[3], 16) >= 0 && Character.digit(p[4], 16) >= 0;
        }
    }

    record Fuse() implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
            pieces.forEach(joined::writeBytes);
            return List.of(joined.toByteArray());
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters of each piece. */
    record Strip(int content, int start, int stop) implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            byte[] c = bytes(Character.toString(content));
            List<byte[]> out = new ArrayList<>(pieces.size());
            for (byte[] piece : pieces) {
                int from = 0;
                for (int i = 0; i < start && Utf8Bytes.startsWith(piece, from, c); i++) {
                    from += c.length;
                }
                int to = piece.length;
                for (int i = 0; i < stop && to - c.length >= from && Utf8Bytes.startsWith(piece, to - c.length, c); i++) {
                    to -= c.length;
                }
                out.add(java.util.Arrays.copyOfRange(piece, from, to));
            }
            return out;
        }
    }

    /** ▁ back to a space; the first piece loses the space its encoder prepended. */
    record Metaspace(int replacement, String prependScheme) implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            byte[] rep = bytes(Character.toString(replacement));
            byte[] space = {' '};
            List<byte[]> out = new ArrayList<>(pieces.size());
            for (int i = 0; i < pieces.size(); i++) {
                byte[] p = Utf8Bytes.replace(pieces.get(i), rep, space);
                if (i == 0 && !prependScheme.equals("never") && p.length > 0 && p[0] == ' ') {
                    p = java.util.Arrays.copyOfRange(p, 1, p.length);
                }
                out.add(p);
            }
            return out;
        }
    }

    record Sequence(List<TokenDecoder> steps) implements TokenDecoder {
        public List<byte[]> decode(List<byte[]> pieces) {
            for (TokenDecoder step : steps) {
                pieces = step.decode(pieces);
            }
            return pieces;
        }
    }

    /** Null for a JSON null (token strings are joined with spaces). */
    static TokenDecoder fromJson(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = node.path("type").asString("");
        return switch (type) {
            case "ByteLevel" -> new ByteLevel();
            case "Replace" -> new Replace(SplitPattern.fromJson(node.path("pattern"), "decoder Replace"), node.path("content").asString(),
                    node.path("pattern").has("String"));
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(node.path("content").asString(" ").codePointAt(0), node.path("start").asInt(0), node.path("stop").asInt(0));
            case "Metaspace" -> new Metaspace(PreTokenizer.metaspaceReplacement(node), PreTokenizer.metaspacePrependScheme(node));
            case "Sequence" -> {
                List<TokenDecoder> steps = new ArrayList<>();
                for (JsonNode child : node.path("decoders")) {
                    TokenDecoder step = fromJson(child);
                    if (step != null) {
                        steps.add(step);
                    }
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw new UnsupportedTokenizerException("tokenizer.json decoder type '" + type + "' is not supported"
                    + " (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)");
        };
    }
}
