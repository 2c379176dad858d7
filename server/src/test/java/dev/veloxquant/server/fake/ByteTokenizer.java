package dev.veloxquant.server.fake;

import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/** A byte-level tokenizer for the fake model: ids 0..255 are bytes, then four special tokens. */
public final class ByteTokenizer implements TextTokenizer {
    public static final int BOS = 256;
    public static final int EOS = 257;
    public static final int IM_START = 258;
    public static final int IM_END = 259;
    public static final int VOCAB = 260;
    private static final List<String> SPECIALS = List.of("<s>", "</s>", "<|im_start|>", "<|im_end|>");

    @Override
    public int[] encode(String text) {
        ByteArrayOutputStream ids = new ByteArrayOutputStream();
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        int i = 0;
        outer:
        while (i < text.length()) {
            for (int s = 0; s < SPECIALS.size(); s++) {
                if (text.startsWith(SPECIALS.get(s), i)) {
                    out.add(256 + s);
                    i += SPECIALS.get(s).length();
                    continue outer;
                }
            }
            int cp = text.codePointAt(i);
            for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                out.add(b & 0xff);
            }
            i += Character.charCount(cp);
        }
        ids.reset();
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 256) {
                bytes.write(id);
            } else {
                sb.append(bytes.toString(StandardCharsets.UTF_8));
                bytes.reset();
                if (!skipSpecial) {
                    sb.append(SPECIALS.get(id - 256));
                }
            }
        }
        sb.append(bytes.toString(StandardCharsets.UTF_8));
        return sb.toString();
    }

    @Override
    public byte[] tokenBytes(int id) {
        return id < 256 ? new byte[]{(byte) id} : SPECIALS.get(id - 256).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String tokenString(int id) {
        return id < 256 ? new String(new byte[]{(byte) id}, StandardCharsets.ISO_8859_1) : SPECIALS.get(id - 256);
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public Set<Integer> eosIds() {
        return Set.of(EOS, IM_END);
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 256;
    }

    @Override
    public boolean addsBos() {
        return true;
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String push(int id) {
                if (id >= 256) {
                    String out = flush();
                    return skipSpecial ? out : out + SPECIALS.get(id - 256);
                }
                pending.write(id);
                byte[] b = pending.toByteArray();
                if (complete(b)) {
                    pending.reset();
                    return new String(b, StandardCharsets.UTF_8);
                }
                return "";
            }

            @Override
            public String flush() {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return s;
            }
        };
    }

    /** Whether the bytes end on a UTF-8 character boundary. */
    static boolean complete(byte[] b) {
        int i = b.length - 1;
        int cont = 0;
        while (i >= 0 && (b[i] & 0xC0) == 0x80) {
            cont++;
            i--;
        }
        if (i < 0) {
            return false;
        }
        int lead = b[i] & 0xff;
        int need = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
        return cont == need;
    }
}
