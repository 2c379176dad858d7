package dev.veloxquant.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams decoded text one id at a time, emitting only complete UTF-8. Ids whose text is not complete
 * yet stay pending and are decoded again with the next id; once the stream has begun, pending ids are
 * decoded as a continuation (so Metaspace or Strip do not drop a leading space that a full decode keeps).
 */
final class Utf8StreamingDecoder implements TextTokenizer.StreamingDecoder {

    private final HfTokenizer tokenizer;
    private final boolean skipSpecial;
    private final List<Integer> pending = new ArrayList<>();
    private boolean started;
    private int emitted;

    Utf8StreamingDecoder(HfTokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    @Override
    public String push(int id) {
        pending.add(id);
        byte[] bytes = tokenizer.decodeBytes(pending, skipSpecial, started);
        int from = Math.min(emitted, bytes.length);
        int complete = completeLength(bytes, from);
        String text = new String(bytes, from, complete - from, StandardCharsets.UTF_8);
        emitted = complete;
        if (complete == bytes.length) {
            settle();
        }
        return text;
    }

    @Override
    public String flush() {
        byte[] bytes = tokenizer.decodeBytes(pending, skipSpecial, started);
        int from = Math.min(emitted, bytes.length);
        String text = new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        settle();
        return text;
    }

    private void settle() {
        for (int id : pending) {
            started |= tokenizer.isDecoded(id, skipSpecial);
        }
        pending.clear();
        emitted = 0;
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
