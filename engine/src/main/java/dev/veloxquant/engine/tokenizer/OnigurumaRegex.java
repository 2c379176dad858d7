package dev.veloxquant.engine.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma regexes of tokenizer.json with java.util.regex. The two engines agree on the
 * constructs these files use (\p{L}, \p{N}, (?i:...), lookahead, possessive and lazy quantifiers) once
 * {@code \s}, {@code \w}, {@code \d} and case folding are made Unicode-aware, as they are in Oniguruma.
 */
final class OnigurumaRegex {

    private OnigurumaRegex() {
    }

    static Pattern compile(String regex) {
        try {
            return Pattern.compile(translate(regex), Pattern.UNICODE_CHARACTER_CLASS | Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new UnsupportedTokenizerException("regex not supported by java.util.regex: " + regex + " (" + e.getDescription() + ")");
        }
    }

    /** Rewrites the few spellings java.util.regex reads differently. */
    static String translate(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 8);
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char next = regex.charAt(i + 1);
                // Oniguruma's \h is a hex digit; Java's is horizontal whitespace.
                if (next == 'h') {
                    out.append("[0-9a-fA-F]");
                } else {
                    out.append(c).append(next);
                }
                i++;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
