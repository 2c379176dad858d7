package dev.veloxquant.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * A Hugging Face tokenizer.json (BPE model) in plain Java: added tokens are cut out first, the rest is
 * normalized, pre-tokenized into words and each word run through BPE; decoding runs the file's decoder.
 */
public final class HfTokenizer implements TextTokenizer {

    private final BpeModel model;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenDecoder decoder;
    private final AddedTokenMatcher rawMatcher;
    private final AddedTokenMatcher normalizedMatcher;
    private final String[] idToToken;
    private final boolean[] special;
    private final SpecialTokenTemplate template;
    private final Integer bosId;
    private final Set<Integer> eosIds;
    private final Map<String, String> specialTokenStrings;

    private HfTokenizer(JsonNode json, ModelTokenConfig config) {
        JsonNode truncation = json.path("truncation");
        if (!truncation.isMissingNode() && !truncation.isNull()) {
            throw new UnsupportedTokenizerException("tokenizer.json truncation is not supported (set it to null)");
        }
        model = BpeModel.fromJson(json.path("model"));
        normalizer = TextNormalizer.fromJson(json.path("normalizer"));
        preTokenizer = PreTokenizer.fromJson(json.path("pre_tokenizer"));
        decoder = TokenDecoder.fromJson(json.path("decoder"));

        List<AddedToken> added = new ArrayList<>();
        for (JsonNode node : json.path("added_tokens")) {
            added.add(AddedToken.fromJson(node));
        }
        int size = 0;
        for (int id : model.vocab().values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        idToToken = new String[size];
        special = new boolean[size];
        model.vocab().forEach((token, id) -> idToToken[id] = token);
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedToken t : added) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            addedIds.put(t.content(), t.id());
        }
        rawMatcher = matcher(added, false);
        normalizedMatcher = matcher(added, true);

        bosId = resolveBos(config, addedIds);
        eosIds = resolveEos(config, addedIds);
        template = resolveTemplate(SpecialTokenTemplate.fromJson(json.path("post_processor")), config, addedIds);
        specialTokenStrings = config.specialTokens();
    }

    /** Loads tokenizer.json and the special-token facts of the other config files in {@code modelDir}. */
    public static HfTokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no tokenizer.json in " + modelDir);
        }
        JsonNode json;
        try {
            json = ModelTokenConfig.JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new HfTokenizer(json, ModelTokenConfig.load(modelDir));
    }

    /** A tokenizer from tokenizer.json text alone (no bos/eos from other files); for tests and tools. */
    public static HfTokenizer fromJson(String tokenizerJson) {
        return new HfTokenizer(ModelTokenConfig.JSON.readTree(tokenizerJson),
                new ModelTokenConfig(Map.of(), null, null, null, List.of(), List.of(), null, null));
    }

    private AddedTokenMatcher matcher(List<AddedToken> added, boolean normalized) {
        List<String> patterns = new ArrayList<>();
        List<AddedToken> tokens = new ArrayList<>();
        for (AddedToken t : added) {
            if (t.normalized() == normalized) {
                tokens.add(t);
                patterns.add(normalized && normalizer != null ? normalizer.normalize(t.content()) : t.content());
            }
        }
        return new AddedTokenMatcher(patterns, tokens);
    }

    private Integer idOfToken(String token, Map<String, Integer> addedIds) {
        if (token == null) {
            return null;
        }
        Integer id = addedIds.get(token);
        return id != null ? id : model.vocab().get(token);
    }

    private Integer resolveBos(ModelTokenConfig config, Map<String, Integer> addedIds) {
        Integer fromTokenizer = idOfToken(config.specialTokens().get("bos_token"), addedIds);
        if (fromTokenizer != null) {
            return fromTokenizer;
        }
        return config.generationBosId() != null ? config.generationBosId() : config.configBosId();
    }

    private Set<Integer> resolveEos(ModelTokenConfig config, Map<String, Integer> addedIds) {
        Set<Integer> ids = new LinkedHashSet<>(config.generationEosIds());
        ids.addAll(config.configEosIds());
        Integer fromTokenizer = idOfToken(config.specialTokens().get("eos_token"), addedIds);
        if (fromTokenizer != null) {
            ids.add(fromTokenizer);
        }
        return Set.copyOf(ids);
    }

    /** transformers rebuilds Llama/Gemma post-processors from add_bos_token / add_eos_token. */
    private SpecialTokenTemplate resolveTemplate(SpecialTokenTemplate fromFile, ModelTokenConfig config, Map<String, Integer> addedIds) {
        String cls = config.tokenizerClass() == null ? "" : config.tokenizerClass();
        boolean rebuilt = (cls.contains("Llama") || cls.contains("Gemma")) && (config.addBosToken() != null || config.addEosToken() != null);
        if (!rebuilt) {
            return fromFile;
        }
        Integer eos = idOfToken(config.specialTokens().get("eos_token"), addedIds);
        int[] prefix = Boolean.TRUE.equals(config.addBosToken()) && bosId != null ? new int[] {bosId} : new int[0];
        int[] suffix = Boolean.TRUE.equals(config.addEosToken()) && eos != null ? new int[] {eos} : new int[0];
        return new SpecialTokenTemplate(prefix, suffix);
    }

    @Override
    public int[] encode(String text) {
        TokenIdBuffer out = new TokenIdBuffer(Math.max(16, text.length() / 3));
        for (AddedTokenMatcher.Segment segment : rawMatcher.split(text)) {
            if (segment.token() != null) {
                out.add(segment.token().id());
                continue;
            }
            String normalized = normalizer == null ? segment.text() : normalizer.normalize(segment.text());
            int startLimit = segment.start() == 0 ? firstCharacterLength(segment.text()) : 0;
            for (AddedTokenMatcher.Segment inner : normalizedMatcher.split(normalized)) {
                if (inner.token() != null) {
                    out.add(inner.token().id());
                } else if (!inner.text().isEmpty()) {
                    encodeWords(inner.text(), startLimit - inner.start(), out);
                }
            }
        }
        return out.toArray();
    }

    /** {@link #encode} plus what the post-processor adds around a single sequence (e.g. BOS). */
    public int[] encodeWithSpecialTokens(String text) {
        int[] body = encode(text);
        int[] all = new int[template.prefix().length + body.length + template.suffix().length];
        System.arraycopy(template.prefix(), 0, all, 0, template.prefix().length);
        System.arraycopy(body, 0, all, template.prefix().length, body.length);
        System.arraycopy(template.suffix(), 0, all, template.prefix().length + body.length, template.suffix().length);
        return all;
    }

    /**
     * How many normalized characters come from the text's first character: Hugging Face aligns what a
     * normalizer makes of it (NFKC's "1⁄2" for "½", a prepended "▁") to original offset 0.
     */
    private int firstCharacterLength(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        String first = text.substring(0, Character.charCount(text.codePointAt(0)));
        return normalizer == null ? first.length() : normalizer.normalize(first).length();
    }

    private void encodeWords(String text, int startLimit, TokenIdBuffer out) {
        List<PreTokenizer.Piece> words = preTokenizer == null
                ? List.of(new PreTokenizer.Piece(text, 0))
                : preTokenizer.split(List.of(new PreTokenizer.Piece(text, 0)), startLimit);
        for (PreTokenizer.Piece word : words) {
            if (!word.text().isEmpty()) {
                out.addAll(model.encodeWord(word.text()));
            }
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        return new String(decodeBytes(Arrays.stream(ids).boxed().toList(), skipSpecial), StandardCharsets.UTF_8);
    }

    /** Whether decoding keeps {@code id} (unknown ids, and special ones when skipped, are dropped). */
    boolean isDecoded(int id, boolean skipSpecial) {
        return id >= 0 && id < idToToken.length && idToToken[id] != null && !(skipSpecial && special[id]);
    }

    /** The decoder's output for {@code ids} as raw bytes (may end inside a UTF-8 sequence). */
    byte[] decodeBytes(List<Integer> ids, boolean skipSpecial) {
        return decodeBytes(ids, skipSpecial, false);
    }

    /**
     * As {@link #decodeBytes(List, boolean)}; with {@code continuation} the ids are decoded as if other
     * text came before them: decoders treat the first token specially (Metaspace drops its leading
     * space), so a neutral "a" is decoded first and cut off.
     */
    byte[] decodeBytes(List<Integer> ids, boolean skipSpecial, boolean continuation) {
        List<byte[]> pieces = new ArrayList<>(ids.size() + 1);
        if (continuation && decoder != null) {
            pieces.add(new byte[] {'a'});
        }
        for (int id : ids) {
            if (isDecoded(id, skipSpecial)) {
                pieces.add(idToToken[id].getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (decoder == null) {
            for (int i = 0; i < pieces.size(); i++) {
                if (i > 0 || continuation) {
                    out.write(' ');
                }
                out.writeBytes(pieces.get(i));
            }
            return out.toByteArray();
        }
        decoder.decode(pieces).forEach(out::writeBytes);
        byte[] all = out.toByteArray();
        return continuation ? Arrays.copyOfRange(all, 1, all.length) : all;
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        if (special[id] || decoder == null) {
            return idToToken[id].getBytes(StandardCharsets.UTF_8);
        }
        // As a continuation, so " the" keeps the space a first token would lose.
        return decodeBytes(List.of(id), false, true);
    }

    @Override
    public String tokenString(int id) {
        checkId(id);
        return idToToken[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + idToToken.length + ")");
        }
    }

    @Override
    public int vocabSize() {
        return idToToken.length;
    }

    @Override
    public OptionalInt bosId() {
        return bosId == null ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    @Override
    public Set<Integer> eosIds() {
        return eosIds;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public boolean addsBos() {
        if (bosId == null) {
            return false;
        }
        for (int id : template.prefix()) {
            if (id == bosId) {
                return true;
            }
        }
        return false;
    }

    /** bos_token, eos_token, ... as tokenizer_config.json spells them (for chat templates). */
    public Map<String, String> specialTokenStrings() {
        return specialTokenStrings;
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new Utf8StreamingDecoder(this, skipSpecial);
    }
}
