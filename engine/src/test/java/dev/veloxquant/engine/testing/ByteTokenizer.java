package dev.veloxquant.engine.testing;

import dev.veloxquant.engine.tokenizer.TextTokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A byte tokenizer for tests: ids 0-255 are bytes, 256 is BOS, 257 EOS, 258-259 other specials.
 * Its streaming decoder holds incomplete UTF-8 like a real byte-level BPE decoder must.
 */
public final class ByteTokenizer implements TextTokenizer {
    public static final int BOS = 256;
    public static final int EOS = 257;

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 256) {
                out.write(id);
            } else if (!skipSpecial) {
                out.writeBytes(tokenString(id).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return id < 256 ? new byte[]{(byte) id} : tokenString(id).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String tokenString(int id) {
        return id < 256 ? String.valueOf((char) id) : "<s" + id + ">";
    }

    @Override
    public int vocabSize() {
        return 260;
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public Set<Integer> eosIds() {
        return Set.of(EOS);
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
                    return skipSpecial ? "" : flush() + tokenString(id);
                }
                pending.write(id);
                byte[] b = pending.toByteArray();
                try {
                    String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(b)).toString();
                    pending.reset();
                    return s;
                } catch (CharacterCodingException e) {
                    return b.length >= 4 ? flush() : "";
                }
            }

            @Override
            public String flush() {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return s;
            }
        };
    }
}
