package dev.veloxquant.engine.tokenizer;

/** Character classes as Rust's char methods define them, which tokenizer.json components rely on. */
final class TokenChars {

    private TokenChars() {
    }

    /** Rust's char::is_whitespace: the Unicode White_Space property. */
    static boolean isWhitespace(int cp) {
        return Character.isWhitespace(cp) || cp == 0x85 || cp == 0xA0 || cp == 0x2007 || cp == 0x202F;
    }

    /** Rust's char::is_alphanumeric plus '_', the word characters of added tokens' single_word. */
    static boolean isWordChar(int cp) {
        return Character.isLetter(cp) || PreTokenizer.Digits.isNumeric(cp) || cp == '_';
    }
}
