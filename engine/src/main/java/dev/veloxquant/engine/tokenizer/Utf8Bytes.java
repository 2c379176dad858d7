package dev.veloxquant.engine.tokenizer;

import java.io.ByteArrayOutputStream;

/** Byte-string operations for decoder pieces that may end inside a UTF-8 character. */
final class Utf8Bytes {

    private Utf8Bytes() {
    }

    static boolean startsWith(byte[] bytes, int at, byte[] prefix) {
        if (at < 0 || at + prefix.length > bytes.length || prefix.length == 0) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Replaces every occurrence; UTF-8 is self-synchronising, so this equals replacing characters. */
    static byte[] replace(byte[] bytes, byte[] from, byte[] to) {
        if (from.length == 0) {
            return bytes;
        }
        ByteArrayOutputStream out = null;
        int last = 0;
        for (int i = 0; i + from.length <= bytes.length; ) {
            if (startsWith(bytes, i, from)) {
                if (out == null) {
                    out = new ByteArrayOutputStream(bytes.length);
                }
                out.write(bytes, last, i - last);
                out.writeBytes(to);
                i += from.length;
                last = i;
            } else {
                i++;
            }
        }
        if (out == null) {
            return bytes;
        }
        out.write(bytes, last, bytes.length - last);
        return out.toByteArray();
    }
}
