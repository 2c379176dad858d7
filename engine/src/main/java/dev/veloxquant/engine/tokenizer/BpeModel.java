package dev.veloxquant.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/**
 * tokenizer.json "model" of type BPE: a word becomes characters, then the lowest-ranked adjacent pair is
 * merged until none applies (a heap of candidate merges over a linked list of symbols, as the Rust
 * implementation does, so ties and stale candidates resolve identically). Words are cached.
 */
final class BpeModel {

    private static final int CACHE_CAPACITY = 10_000;
    private static final int CACHEABLE_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final Integer unkId;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private BpeModel(Map<String, Integer> vocab, MergeTable merges, Integer unkId, String continuingSubwordPrefix,
                     String endOfWordSuffix, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
    }

    static BpeModel fromJson(JsonNode model) {
        String type = model.path("type").asString("BPE");
        if (!type.equals("BPE")) {
            throw new UnsupportedTokenizerException("tokenizer.json model type '" + type + "' is not supported (only BPE)");
        }
        JsonNode dropout = model.path("dropout");
        if (!dropout.isMissingNode() && !dropout.isNull() && dropout.asDouble() != 0.0) {
            throw new UnsupportedTokenizerException("tokenizer.json model.dropout is not supported (got " + dropout + ")");
        }
        Map<String, Integer> vocab = new HashMap<>(model.path("vocab").size() * 2);
        for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) {
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        String prefix = textOrNull(model.path("continuing_subword_prefix"));
        JsonNode mergesNode = model.path("merges");
        MergeTable table = new MergeTable(mergesNode.size());
        int rank = 0;
        for (JsonNode merge : mergesNode) {
            String left;
            String right;
            if (merge.isArray()) {
                left = merge.get(0).asString();
                right = merge.get(1).asString();
            } else {
                String[] parts = merge.asString().split(" ", -1);
                if (parts.length != 2) {
                    throw new IllegalArgumentException("tokenizer.json model.merges[" + rank + "] is not two tokens: '" + merge.asString() + "'");
                }
                left = parts[0];
                right = parts[1];
            }
            String merged = left + (prefix != null ? right.substring(Math.min(prefix.length(), right.length())) : right);
            table.put(idOf(vocab, left, rank), idOf(vocab, right, rank), rank, idOf(vocab, merged, rank));
            rank++;
        }
        String unk = textOrNull(model.path("unk_token"));
        Integer unkId = unk == null ? null : vocab.get(unk);
        return new BpeModel(vocab, table, unkId, prefix, textOrNull(model.path("end_of_word_suffix")),
                model.path("fuse_unk").asBoolean(false), model.path("byte_fallback").asBoolean(false),
                model.path("ignore_merges").asBoolean(false));
    }

    private static int idOf(Map<String, Integer> vocab, String token, int rank) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("tokenizer.json model.merges[" + rank + "] uses '" + token + "', which is not in the vocab");
        }
        return id;
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? null : node.asString();
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    /** Ids of one pre-tokenized word. */
    int[] encodeWord(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] ids = mergeWord(word);
        if (word.length() < CACHEABLE_LENGTH && cache.size() < CACHE_CAPACITY) {
            cache.put(word, ids);
        }
        return ids;
    }

    private int[] mergeWord(String word) {
        SymbolList symbols = new SymbolList(word.length());
        int pendingUnkLength = 0;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            boolean first = i == 0;
            boolean last = i + n == word.length();
            String s = word.substring(i, i + n);
            if (!first && continuingSubwordPrefix != null) {
                s = continuingSubwordPrefix + s;
            }
            if (last && endOfWordSuffix != null) {
                s = s + endOfWordSuffix;
            }
            i += n;
            Integer id = vocab.get(s);
            if (id != null) {
                if (pendingUnkLength > 0) {
                    symbols.add(unkId);
                    pendingUnkLength = 0;
                }
                symbols.add(id);
                continue;
            }
            if (byteFallback && addByteTokens(symbols, s)) {
                continue;
            }
            if (unkId == null) {
                throw new IllegalArgumentException("the tokenizer has no token for '" + s + "' and no unk_token");
            }
            if (pendingUnkLength > 0 && !fuseUnk) {
                symbols.add(unkId);
            }
            pendingUnkLength++;
        }
        if (pendingUnkLength > 0) {
            symbols.add(unkId);
        }
        symbols.mergeAll(merges);
        return symbols.ids();
    }

    /** SentencePiece byte fallback: the UTF-8 bytes as <0xAB> tokens, only if every one exists. */
    private boolean addByteTokens(SymbolList symbols, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int j = 0; j < bytes.length; j++) {
            Integer id = vocab.get(String.format("<0x%02X>", bytes[j] & 0xFF));
            if (id == null) {
                return false;
            }
            ids[j] = id;
        }
        for (int id : ids) {
            symbols.add(id);
        }
        return true;
    }
}
