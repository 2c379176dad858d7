package dev.veloxquant.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Hand-checkable cases for the pieces HfTokenizer is built from. */
class TokenizerComponentsTest {

    private static List<String> texts(List<PreTokenizer.Piece> pieces) {
        return pieces.stream().map(PreTokenizer.Piece::text).toList();
    }

    private static List<String> split(String regex, String text) {
        PreTokenizer.Split split = new PreTokenizer.Split(new SplitPattern(OnigurumaRegex.compile(regex), regex), SplitBehavior.ISOLATED, false);
        return texts(split.split(List.of(new PreTokenizer.Piece(text, 0)), 0));
    }

    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @Test
    void llama3RegexSplitsLikeTheReferenceImplementation() {
        assertThat(split(LLAMA3, "Hello world's 1234567 ok!!\n\n  x  "))
                .containsExactly("Hello", " world", "'s", " ", "123", "456", "7", " ok", "!!\n\n", " ", " x", "  ");
        assertThat(split(LLAMA3, "I'LL SEE")).containsExactly("I", "'LL", " SEE");
    }

    @Test
    void onigurumaWhitespaceIsUnicodeWhitespace() {
        Pattern s = OnigurumaRegex.compile("\\s+");
        assertThat(s.matcher("\u3000\u00a0\u2003\u0085").matches()).isTrue();
        assertThat(OnigurumaRegex.compile("(?i:'s)").matcher("'\u017f").matches()).isTrue();
        assertThat(OnigurumaRegex.compile("\\h+").matcher("0aF").matches()).isTrue();
    }

    @Test
    void splitBehaviours() {
        String text = "a--b-c";
        PreTokenizer.Piece piece = new PreTokenizer.Piece(text, 0);
        List<SplitBehavior.Span> spans = SplitBehavior.regexSpans(text, Pattern.compile("-"), false);
        assertThat(texts(SplitBehavior.REMOVED.apply(piece, spans))).containsExactly("a", "b", "c");
        assertThat(texts(SplitBehavior.ISOLATED.apply(piece, spans))).containsExactly("a", "-", "-", "b", "-", "c");
        assertThat(texts(SplitBehavior.MERGED_WITH_PREVIOUS.apply(piece, spans))).containsExactly("a-", "-", "b-", "c");
        assertThat(texts(SplitBehavior.MERGED_WITH_NEXT.apply(piece, spans))).containsExactly("a", "-", "-b", "-c");
        assertThat(texts(SplitBehavior.CONTIGUOUS.apply(piece, spans))).containsExactly("a", "--", "b", "-", "c");
        assertThat(SplitBehavior.MERGED_WITH_NEXT.apply(piece, spans).get(3).offset()).isEqualTo(4);
    }

    @Test
    void digitsAndMetaspace() {
        List<PreTokenizer.Piece> in = List.of(new PreTokenizer.Piece("ab 123 c", 0));
        assertThat(texts(new PreTokenizer.Digits(true).split(in, 0))).containsExactly("ab ", "1", "2", "3", " c");
        assertThat(texts(new PreTokenizer.Digits(false).split(in, 0))).containsExactly("ab ", "123", " c");
        PreTokenizer.Metaspace first = new PreTokenizer.Metaspace('▁', "first", true);
        assertThat(texts(first.split(List.of(new PreTokenizer.Piece("hi there", 0)), 1))).containsExactly("▁hi", "▁there");
        assertThat(texts(first.split(List.of(new PreTokenizer.Piece("hi there", 0)), 0))).containsExactly("hi", "▁there");
        assertThat(texts(new PreTokenizer.Metaspace('▁', "never", false).split(List.of(new PreTokenizer.Piece("a b", 0)), 1))).containsExactly("a▁b");
    }

    @Test
    void byteLevelAlphabetRoundTrips() {
        assertThat(ByteLevelAlphabet.encode(" the\n")).isEqualTo("ĠtheĊ");
        assertThat(new String(ByteLevelAlphabet.decode("ĠtheĊ"), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(" the\n");
        assertThat(ByteLevelAlphabet.decode("<|im_start|>")).isNotNull();
        assertThat(ByteLevelAlphabet.decode("a b")).as("space is not in the alphabet").isNull();
        for (int b = 0; b < 256; b++) {
            assertThat(ByteLevelAlphabet.decode(String.valueOf(ByteLevelAlphabet.charOf(b)))).containsExactly(b);
        }
    }

    private static String bpe(String mergesJson, String word, boolean ignoreMerges) {
        String json = "{\"type\": \"BPE\", \"ignore_merges\": " + ignoreMerges + ", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2, \"aa\": 3, \"ab\": 4, \"bc\": 5, \"abc\": 6, \"aab\": 7},"
                + " \"merges\": " + mergesJson + "}";
        BpeModel model = BpeModel.fromJson(new tools.jackson.databind.ObjectMapper().readTree(json));
        return java.util.Arrays.toString(model.encodeWord(word));
    }

    @Test
    void bpeAppliesLowestRankFirstAndBreaksTiesLeftmost() {
        assertThat(bpe("[\"a a\", \"a b\"]", "aaa", false)).isEqualTo("[3, 0]");
        assertThat(bpe("[\"b c\", \"a b\", \"a bc\"]", "abc", false)).isEqualTo("[6]");
        assertThat(bpe("[[\"a\", \"b\"], [\"b\", \"c\"]]", "abc", false)).isEqualTo("[4, 2]");
        assertThat(bpe("[\"a b\", \"a a\", \"aa b\"]", "aab", false)).isEqualTo("[0, 4]");
        assertThat(bpe("[\"b c\"]", "abc", true)).as("ignore_merges takes a whole-word token").isEqualTo("[6]");
    }

    @Test
    void mergeTableGrowsAndReplaces() {
        MergeTable table = new MergeTable(1);
        for (int i = 0; i < 1000; i++) {
            table.put(i, i + 1, i, i + 2);
        }
        table.put(5, 6, 99, 42);
        assertThat(table.size()).isEqualTo(1000);
        assertThat(table.get(5, 6)).isEqualTo((99L << 32) | 42);
        assertThat(table.get(999, 1000) & 0xFFFFFFFFL).isEqualTo(1001);
        assertThat(table.get(6, 5)).isEqualTo(-1L);
    }

    @Test
    void addedTokensHonourStripAndSingleWord() {
        AddedToken mask = new AddedToken(9, "[M]", false, true, true, false, true);
        AddedToken word = new AddedToken(8, "cat", true, false, false, false, false);
        AddedTokenMatcher m = new AddedTokenMatcher(List.of("[M]", "cat"), List.of(mask, word));
        List<AddedTokenMatcher.Segment> parts = m.split("a  [M]  b concat cat");
        assertThat(parts).extracting(AddedTokenMatcher.Segment::text).containsExactly("a", "  [M]  ", "b concat ", "cat");
        assertThat(parts.get(1).token()).isEqualTo(mask);
        assertThat(parts.get(3).token()).isEqualTo(word);
    }

    @Test
    void normalizers() {
        assertThat(new TextNormalizer.UnicodeForm(java.text.Normalizer.Form.NFC).normalize("e\u0301")).isEqualTo("é");
        assertThat(new TextNormalizer.Prepend("▁").normalize("x")).isEqualTo("▁x");
        assertThat(new TextNormalizer.Prepend("▁").normalize("")).isEmpty();
        TextNormalizer seq = new TextNormalizer.Sequence(List.of(new TextNormalizer.Prepend("▁"),
                new TextNormalizer.Replace(new SplitPattern(Pattern.compile(" ", Pattern.LITERAL), " "), "▁")));
        assertThat(seq.normalize("a b")).isEqualTo("▁a▁b");
        assertThat(new TextNormalizer.Strip(true, false).normalize("  x  ")).isEqualTo("x  ");
    }

    @Test
    void decoders() {
        TokenDecoder llama2 = new TokenDecoder.Sequence(List.of(
                new TokenDecoder.Replace(new SplitPattern(Pattern.compile("▁", Pattern.LITERAL), "▁"), " ", true),
                new TokenDecoder.ByteFallback(), new TokenDecoder.Fuse(), new TokenDecoder.Strip(' ', 1, 0)));
        assertThat(decode(llama2, "▁Hi", "▁", "<0xE2>", "<0x82>", "<0xAC>", "!")).isEqualTo("Hi €!");
        assertThat(decode(new TokenDecoder.Metaspace('▁', "always"), "▁a", "▁b")).isEqualTo("a b");
        assertThat(decode(new TokenDecoder.ByteLevel(), "Ġa", "Ċ", "<|x|>")).isEqualTo(" a\n<|x|>");
    }

    private static String decode(TokenDecoder decoder, String... tokens) {
        List<byte[]> pieces = java.util.Arrays.stream(tokens).map(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toList();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        decoder.decode(pieces).forEach(out::writeBytes);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
