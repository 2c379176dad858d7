package dev.veloxquant.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text the way Hugging Face's AddedVocabulary does: leftmost-longest,
 * non-overlapping matches, then single_word, lstrip and rstrip applied around each match.
 */
final class AddedTokenMatcher {

    /** A stretch of text: either an added token (token != null) or plain text to tokenize. */
    record Segment(String text, AddedToken token, int start) {
    }

    private record Candidate(String pattern, AddedToken token) {
    }

    private final Map<Character, List<Candidate>> byFirstChar = new HashMap<>();

    /** {@code patterns.get(i)} is the text that stands for {@code tokens.get(i)}. */
    AddedTokenMatcher(List<String> patterns, List<AddedToken> tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (!p.isEmpty()) {
                byFirstChar.computeIfAbsent(p.charAt(0), c -> new ArrayList<>()).add(new Candidate(p, tokens.get(i)));
            }
        }
        byFirstChar.values().forEach(list -> list.sort(Comparator.comparingInt((Candidate c) -> c.pattern().length()).reversed()));
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** Splits {@code text}; plain segments keep their offset within it. */
    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (byFirstChar.isEmpty()) {
            out.add(new Segment(text, null, 0));
            return out;
        }
        int consumed = 0;
        int i = 0;
        while (i < text.length()) {
            Candidate match = longestAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = i + match.pattern().length();
            i = stop;
            AddedToken token = match.token();
            if (token.singleWord()) {
                boolean startOk = start == 0 || !TokenChars.isWordChar(text.codePointBefore(start));
                boolean stopOk = stop == text.length() || !TokenChars.isWordChar(text.codePointAt(stop));
                if (!startOk || !stopOk) {
                    continue;
                }
            }
            if (token.lstrip()) {
                int s = start;
                while (s > 0 && TokenChars.isWhitespace(text.codePointBefore(s))) {
                    s -= Character.charCount(text.codePointBefore(s));
                }
                start = Math.max(s, consumed);
            }
            if (token.rstrip()) {
                while (stop < text.length() && TokenChars.isWhitespace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
            }
            if (start < consumed) {
                continue;
            }
            if (consumed < start) {
                out.add(new Segment(text.substring(consumed, start), null, consumed));
            }
            out.add(new Segment(text.substring(start, stop), token, start));
            consumed = stop;
            i = Math.max(i, stop);
        }
        if (consumed < text.length() || out.isEmpty()) {
            out.add(new Segment(text.substring(consumed), null, consumed));
        }
        return out;
    }

    private Candidate longestAt(String text, int i) {
        List<Candidate> list = byFirstChar.get(text.charAt(i));
        if (list == null) {
            return null;
        }
        for (Candidate c : list) {
            if (text.startsWith(c.pattern(), i)) {
                return c;
            }
        }
        return null;
    }
}
