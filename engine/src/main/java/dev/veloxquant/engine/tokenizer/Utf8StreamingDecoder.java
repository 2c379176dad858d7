package dev.veloxquant.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Streams decoded text one id at a time, emitting only complete UTF-8. It re-decodes a short window of
 * recent ids (so decoders that treat the first token specially stay consistent) and emits the bytes past
 * what it already gave out, holding back a trailing incomplete character.
 */
final class Utf8StreamingDecoder implements TextTokenizer.StreamingDecoder {

    private final HfTokenizer tokenizer;
    private final boolean skipSpecial;
    private final List<Integer> window = new ArrayList<>();
    private int emitted;

    Utf8StreamingDecoder(HfTokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    @Override
    public String push(int id) {
        window.add(id);
        byte[] bytes = tokenizer.decodeBytes(window, skipSpecial);
        int from = Math.min(emitted, bytes.length);
        int complete = completeLength(bytes, from);
        String text = new String(bytes, from, complete - from, StandardCharsets.UTF_8);
        emitted = complete;
        if (complete == bytes.length && window.size() > 1) {
            window.subList(0, window.size() - 1).clear();
            emitted = tokenizer.decodeBytes(window, skipSpecial).length;
        }
        return text;
    }

    @Override
    public String flush() {
        byte[] bytes = tokenizer.decodeBytes(window, skipSpecial);
        int from = Math.min(emitted, bytes.length);
        String text = new String(Arrays.copyOfRange(bytes, from, bytes.length), StandardCharsets.UTF_8);
        window.clear();
        emitted = 0;
        return text;
    }

    /**
     * The end of the longest prefix of {@code bytes} that does not stop inside a character: a trailing
     * lead byte still waiting for its continuation bytes is held back; anything invalid goes out (as U+FFFD).
     */
    static int completeLength(byte[] bytes, int from) {
        int end = bytes.length;
        int i = end - 1;
        int continuation = 0;
        while (i >= from && continuation < 3 && (bytes[i] & 0xC0) == 0x80) {
            continuation++;
            i--;
        }
        if (i < from) {
            return end;
        }
        int lead = bytes[i] & 0xFF;
        int needed = lead >= 0xF0 && lead <= 0xF4 ? 3 : lead >= 0xE0 && lead <= 0xEF ? 2 : lead >= 0xC2 && lead <= 0xDF ? 1 : -1;
        if (needed > continuation) {
            return i;
        }
        return end;
    }
}
