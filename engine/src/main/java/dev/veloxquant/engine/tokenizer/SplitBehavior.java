package dev.veloxquant.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a pre-tokenizer does with the pieces its pattern matched (Hugging Face SplitDelimiterBehavior). */
enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        return switch (name) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> throw new UnsupportedTokenizerException("Split behavior '" + name + "' is not supported");
        };
    }

    /** A stretch of the text and whether the pattern matched it. */
    record Span(int start, int end, boolean match) {
    }

    /** Spans covering {@code text}: the pattern's matches and the gaps between them. */
    static List<Span> regexSpans(String text, Pattern pattern, boolean invert) {
        List<Span> spans = new ArrayList<>();
        if (text.isEmpty()) {
            return spans;
        }
        Matcher m = pattern.matcher(text);
        int prev = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (prev != m.start()) {
                spans.add(new Span(prev, m.start(), invert));
            }
            spans.add(new Span(m.start(), m.end(), !invert));
            prev = m.end();
        }
        if (prev != text.length()) {
            spans.add(new Span(prev, text.length(), invert));
        }
        return spans;
    }

    /** Each matching code point is a span of its own; the runs between them are one span each (Digits, Metaspace). */
    static List<Span> charSpans(String text, java.util.function.IntPredicate matches) {
        List<Span> spans = new ArrayList<>();
        int last = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            if (matches.test(cp)) {
                if (last < i) {
                    spans.add(new Span(last, i, false));
                }
                spans.add(new Span(i, i + n, true));
                last = i + n;
            }
            i += n;
        }
        if (last < text.length()) {
            spans.add(new Span(last, text.length(), false));
        }
        return spans;
    }

    /** Cuts a piece by the spans according to this behaviour; empty pieces are dropped. */
    List<PreTokenizer.Piece> apply(PreTokenizer.Piece piece, List<Span> spans) {
        String text = piece.text();
        List<int[]> pieces = new ArrayList<>();
        switch (this) {
            case REMOVED -> spans.stream().filter(s -> !s.match()).forEach(s -> pieces.add(new int[] {s.start(), s.end()}));
            case ISOLATED -> spans.forEach(s -> pieces.add(new int[] {s.start(), s.end()}));
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (Span s : spans) {
                    if (s.match() && !previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[1] = s.end();
                    } else {
                        pieces.add(new int[] {s.start(), s.end()});
                    }
                    previousMatch = s.match();
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (Span s : spans.reversed()) {
                    if (s.match() && !previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[0] = s.start();
                    } else {
                        pieces.add(new int[] {s.start(), s.end()});
                    }
                    previousMatch = s.match();
                }
                java.util.Collections.reverse(pieces);
            }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (Span s : spans) {
                    if (s.match() == previousMatch && !pieces.isEmpty()) {
                        pieces.getLast()[1] = s.end();
                    } else {
                        pieces.add(new int[] {s.start(), s.end()});
                    }
                    previousMatch = s.match();
                }
            }
        }
        List<PreTokenizer.Piece> out = new ArrayList<>(pieces.size());
        for (int[] p : pieces) {
            if (p[1] > p[0]) {
                out.add(new PreTokenizer.Piece(text.substring(p[0], p[1]), piece.offset() + p[0]));
            }
        }
        return out;
    }
}
