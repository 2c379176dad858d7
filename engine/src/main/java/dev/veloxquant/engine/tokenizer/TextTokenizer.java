package dev.veloxquant.engine.tokenizer;

import java.util.OptionalInt;
import java.util.Set;

/** Text to token ids and back, exactly as the model's Hugging Face tokenizer.json does it. */
public interface TextTokenizer {

    /** Encodes text; special tokens written in the text (e.g. "<|im_start|>") are recognised. Adds no BOS. */
    int[] encode(String text);

    /** Decodes ids; {@code skipSpecial} drops special tokens. Invalid UTF-8 becomes U+FFFD. */
    String decode(int[] ids, boolean skipSpecial);

    /** The raw bytes of one token (byte-level BPE), for logprob reporting and streaming. */
    byte[] tokenBytes(int id);

    /** The token's string in the vocabulary (e.g. "Ġthe"). */
    String tokenString(int id);

    int vocabSize();

    OptionalInt bosId();

    /** Ids that end generation (from generation_config.json / config.json / tokenizer_config.json). */
    Set<Integer> eosIds();

    boolean isSpecial(int id);

    /** Whether the model's tokenizer adds BOS to a plain prompt (tokenizer_config / post-processor). */
    boolean addsBos();

    /** A decoder that turns a stream of ids into complete UTF-8 text pieces. */
    StreamingDecoder streamingDecoder(boolean skipSpecial);

    interface StreamingDecoder {
        /** Feeds one id; returns the text completed by it (maybe empty while a UTF-8 sequence is open). */
        String push(int id);

        /** Whatever is pending at the end (incomplete UTF-8 becomes U+FFFD). */
        String flush();
    }
}
