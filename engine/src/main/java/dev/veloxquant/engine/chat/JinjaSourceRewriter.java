package dev.veloxquant.engine.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites what Jinjava reads differently from jinja2. It applies lstrip_blocks itself (Jinjava's
 * version also strips spaces after text on the same line), and inside {{ }} and {% %} tags: slices ({@code x[a:b:c]}, including steps such as {@code messages[::-1]})
 * become {@code pyslice(x, a, b, c)} with Python's clamping semantics, and keyword-argument values are
 * wrapped in {@code pyvalue(...)} so {@code namespace(i=messages|length - 1)} keeps the whole expression
 * as the value; printed values go through {@code pyprint(...)} so booleans print as True/False.
 */
final class JinjaSourceRewriter {

    private static final Set<String> KEYWORDS = Set.of("in", "not", "and", "or", "is", "if", "else", "elif", "for",
            "set", "endif", "endfor", "macro", "endmacro", "call", "filter", "with", "import", "from", "as", "recursive",
            "return", "do", "block", "endblock", "endset", "generation", "endgeneration");


    private enum Prev { PRIMARY, DOT, OTHER }

    private JinjaSourceRewriter() {
    }

    static String rewrite(String template) {
        StringBuilder out = new StringBuilder(template.length() + 64);
        int loopCounter = 0;
        int i = 0;
        while (i < template.length()) {
            int open = nextTag(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open);
            char kind = template.charAt(open + 1);
            if (kind != '{' && !(open + 2 < template.length() && template.charAt(open + 2) == '+')) {
                lstrip(out);
            }
            if (kind == '#') {
                int end = template.indexOf("#}", open + 2);
                int stop = end < 0 ? template.length() : end + 2;
                out.append(template, open, stop);
                i = stop;
                continue;
            }
            String close = kind == '{' ? "}}" : "%}";
            int end = tagEnd(template, open + 2, close);
            if (end < 0) {
                out.append(template, open, template.length());
                break;
            }
            String body = template.substring(open + 2, end);
            if (kind == '%' && body.strip().replaceFirst("^[-+]", "").strip().equals("raw")) {
                int endRaw = template.indexOf("endraw", end);
                int stop = endRaw < 0 ? template.length() : template.indexOf("%}", endRaw) + 2;
                out.append(template, open, stop);
                i = stop;
                continue;
            }
            String filteredLoop = kind == '%' ? filteredLoop(body, loopCounter++) : null;
            if (filteredLoop != null) {
                out.append(filteredLoop);
            } else {
                out.append(template, open, open + 2).append(kind == '{' ? printed(body) : expression(body)).append(close);
            }
            i = end + 2;
        }
        return out.toString();
    }

    private static final java.util.regex.Pattern FOR_HEAD = java.util.regex.Pattern.compile("(?s)(\\s*)for\\s+(.+?)\\s+in\\s+(.*)");

    /**
     * {% for x in items if cond %}: Jinjava ignores the filter, so the matching items are collected
     * first and the loop (with its loop.index, loop.last, ...) runs over them, as in jinja2.
     * Null when the tag is not a filtered for loop.
     */
    private static String filteredLoop(String body, int n) {
        int start = 0;
        int end = body.length();
        if (start < end && (body.charAt(start) == '-' || body.charAt(start) == '+')) {
            start++;
        }
        if (end > start && (body.charAt(end - 1) == '-' || body.charAt(end - 1) == '+')) {
            end--;
        }
        java.util.regex.Matcher m = FOR_HEAD.matcher(body.substring(start, end));
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(3);
        int at = topLevelKeyword(rest, "if");
        if (at < 0 || topLevelKeyword(rest, "else") >= 0 || topLevelKeyword(rest, "recursive") >= 0) {
            return null;
        }
        String target = m.group(2).strip();
        String items = expression(rest.substring(0, at).strip());
        String condition = expression(rest.substring(at + 2).strip());
        String item = target.contains(",") ? "[" + target + "]" : target;
        String list = "vq_filtered_" + n;
        return "{%" + body.substring(0, start) + " set " + list + " = [] %}"
                + "{% for " + target + " in " + items + " %}{% if " + condition + " %}{% do " + list + ".append(" + item + ") %}{% endif %}{% endfor %}"
                + "{% for " + target + " in " + list + " " + body.substring(end) + "%}";
    }

    /** Index of {@code word} as a separate word outside brackets and strings, or -1. */
    private static int topLevelKeyword(String s, String word) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && s.startsWith(word, i) && (i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1)) && s.charAt(i - 1) != '_')
                    && (i + word.length() == s.length() || !Character.isLetterOrDigit(s.charAt(i + word.length())) && s.charAt(i + word.length()) != '_')) {
                return i;
            }
        }
        return -1;
    }

    /**
     * jinja2's lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are
     * dropped. (Jinjava's own option strips any whitespace before the tag, even after text on the line.)
     */
    private static void lstrip(StringBuilder out) {
        int i = out.length();
        while (i > 0 && (out.charAt(i - 1) == ' ' || out.charAt(i - 1) == '\t')) {
            i--;
        }
        if (i == 0 || out.charAt(i - 1) == '\n') {
            out.setLength(i);
        }
    }

    private static int nextTag(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Where the tag closes: the first {@code close} outside strings and outside brackets opened in the tag. */
    private static int tagEnd(String s, int from, String close) {
        int depth = 0;
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (depth == 0 && s.startsWith(close, i)) {
                return i;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
        }
        return -1;
    }

    /** Index just past the string literal that starts at {@code start}. */
    private static int stringEnd(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        return s.length();
    }

    /** Index of the bracket closing the one at {@code open}, or the end of the text. */
    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) {
                    return i;
                }
            }
        }
        return s.length();
    }

    /** Splits at top-level occurrences of {@code separator} (outside brackets and strings). */
    private static List<String> splitTopLevel(String s, char separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int last = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == separator && depth == 0) {
                parts.add(s.substring(last, i));
                last = i + 1;
            }
        }
        parts.add(s.substring(last));
        return parts;
    }

    static String expression(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        int chainStart = 0;
        Prev prev = Prev.OTHER;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(s, i);
                chainStart = out.length();
                out.append(s, i, end);
                prev = Prev.PRIMARY;
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
                    end++;
                }
                String word = s.substring(i, end);
                if (prev != Prev.DOT) {
                    chainStart = out.length();
                }
                out.append(word);
                prev = prev != Prev.DOT && KEYWORDS.contains(word) ? Prev.OTHER : Prev.PRIMARY;
                i = end;
            } else if (Character.isDigit(c)) {
                int end = i;
                while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '.')) {
                    end++;
                }
                chainStart = out.length();
                out.append(s, i, end);
                prev = Prev.PRIMARY;
                i = end;
            } else if (c == '.' && prev == Prev.PRIMARY) {
                out.append(c);
                prev = Prev.DOT;
                i++;
            } else if (c == '(' || c == '[' || c == '{') {
                int close = matching(s, i);
                String inner = s.substring(i + 1, Math.min(close, s.length()));
                // Jinjava ends an expression tag at the first "}}", even one closing nested dict literals.
                String closing = close < s.length() ? (s.charAt(close) == '}' ? " }" : String.valueOf(s.charAt(close))) : "";
                boolean postfix = prev == Prev.PRIMARY;
                if (c == '[' && postfix) {
                    List<String> parts = splitTopLevel(inner, ':');
                    if (parts.size() > 1 && parts.size() <= 3) {
                        String base = out.substring(chainStart);
                        out.setLength(chainStart);
                        out.append("pyslice(").append(base);
                        for (int p = 0; p < 3; p++) {
                            String part = p < parts.size() ? parts.get(p).strip() : "";
                            out.append(", ").append(part.isEmpty() ? "none" : expression(part));
                        }
                        out.append(')');
                    } else {
                        out.append('[').append(expression(inner)).append(closing);
                    }
                } else if (c == '(' && postfix) {
                    out.append('(').append(arguments(inner)).append(closing);
                } else {
                    chainStart = out.length();
                    out.append(c).append(c == '(' ? arguments(inner) : expression(inner)).append(closing);
                }
                prev = Prev.PRIMARY;
                i = close + 1;
            } else {
                out.append(c);
                prev = Prev.OTHER;
                i++;
            }
        }
        return out.toString();
    }

    /** The body of {{ ... }}: printed through pyprint so True/False print as Python does. */
    private static String printed(String body) {
        int start = 0;
        int end = body.length();
        if (start < end && (body.charAt(start) == '-' || body.charAt(start) == '+')) {
            start++;
        }
        if (end > start && (body.charAt(end - 1) == '-' || body.charAt(end - 1) == '+')) {
            end--;
        }
        String inner = body.substring(start, end);
        if (inner.isBlank()) {
            return body;
        }
        // A function call, not parentheses: Jinjava reads "({'a': 1, 'b': 2}|f)" as a tuple.
        return body.substring(0, start) + " pyprint(" + expression(inner.strip()) + ") " + body.substring(end);
    }

    /** Call arguments: each rewritten, keyword values wrapped in parentheses. */
    private static String arguments(String inner) {
        List<String> args = splitTopLevel(inner, ',');
        StringBuilder out = new StringBuilder(inner.length() + 8);
        for (int a = 0; a < args.size(); a++) {
            if (a > 0) {
                out.append(',');
            }
            String arg = args.get(a);
            java.util.regex.Matcher m = KEYWORD_ARGUMENT.matcher(arg);
            if (m.lookingAt() && !SIMPLE_VALUE.matcher(arg.substring(m.end()).strip()).matches()) {
                out.append(m.group(1)).append("pyvalue(").append(expression(arg.substring(m.end()))).append(')');
            } else {
                out.append(expression(arg));
            }
        }
        return out.toString();
    }

    /** A literal or a dotted name: Jinjava reads these as keyword values already (and macro defaults must stay plain). */
    private static final java.util.regex.Pattern SIMPLE_VALUE = java.util.regex.Pattern.compile(
            "-?[0-9.]+|'[^'\\\\]*'|\"[^\"\\\\]*\"|[A-Za-z_][\\w.]*");

    private static final java.util.regex.Pattern KEYWORD_ARGUMENT = java.util.regex.Pattern.compile("(\\s*[A-Za-z_]\\w*\\s*=)(?!=)");
}
