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
        IdBuffer out = new IdBuffer(Math.max(16, text.length() / 3));
        for (AddedTokenMatcher.Segment segment : rawMatcher.split(text)) {
            if (segment.token() != null) {
                out.add(segment.token().id());
                continue;
            }
            String normalized = normalizer == null ? segment.text() : normalizer.normalize(segment.text());
            for (AddedTokenMatcher.Segment inner : normalizedMatcher.split(normalized)) {
                if (inner.token() != null) {
                    out.add(inner.token().id());
                } else if (!inner.text().isEmpty()) {
                    encodeWords(inner.text(), segment.start() == 0 && inner.start() == 0, out);
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

    private void encodeWords(String text, boolean atStart, IdBuffer out) {
        List<String> words = preTokenizer == null ? List.of(text) : preTokenizer.split(List.of(text), atStart);
        for (String word : words) {
            if (!word.isEmpty()) {
                out.addAll(model.encodeWord(word));
            }
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        return new String(decodeBytes(Arrays.stream(ids).boxed().toList(), skipSpecial), StandardCharsets.UTF_8);
    }

    /** The decoder's output for {@code ids} as raw bytes (may end inside a UTF-8 sequence). */
    byte[] decodeBytes(List<Integer> ids, boolean skipSpecial) {
        List<byte[]> pieces = new ArrayList<>(ids.size());
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null || (skipSpecial && special[id])) {
                continue;
            }
            pieces.add(idToToken[id].getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (decoder == null) {
            for (int i = 0; i < pieces.size(); i++) {
                if (i > 0) {
                    out.write(' ');
                }
                out.writeBytes(pieces.get(i));
            }
        } else {
            decoder.decode(pieces).forEach(out::writeBytes);
        }
        return out.toByteArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        if (special[id] || decoder == null) {
            return idToToken[id].getBytes(StandardCharsets.UTF_8);
        }
        // Decoders treat the first token specially (Metaspace drops its leading space): decode after a
        // neutral "a" and cut it off, so " the" keeps its space.
        List<byte[]> pieces = decoder.decode(List.of(new byte[] {'a'}, idToToken[id].getBytes(StandardCharsets.UTF_8)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pieces.forEach(out::writeBytes);
        byte[] all = out.toByteArray();
        return Arrays.copyOfRange(all, 1, all.length);
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

    /** A growable int array, so encoding does not box every id. */
    private static final class IdBuffer {
        private int[] ids;
        private int size;

        IdBuffer(int capacity) {
            ids = new int[capacity];
        }

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        void addAll(int[] more) {
            if (size + more.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(size * 2, size + more.length));
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }
}
