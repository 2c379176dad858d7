package dev.veloxquant.server.api;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.engine.api.SamplingParams;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.kv.KvCacheSettings;
import dev.veloxquant.server.model.ServedModel;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameters completions and chat share, parsed and checked against the model.
 *
 * @param seed         null: a fresh random seed per choice
 * @param includeUsage {@code stream_options.include_usage}
 */
record GenerationParams(SamplingParams sampling, Long seed, List<String> stop, Set<Integer> stopTokenIds,
                        boolean ignoreEos, int n, KVCacheConfig kvCache, boolean stream, boolean includeUsage) {

    /** Parameter names handled here; each endpoint adds its own. */
    static final Set<String> NAMES = Set.of("model", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
            "presence_penalty", "frequency_penalty", "seed", "logit_bias", "stop", "stop_token_ids", "ignore_eos", "n",
            "stream", "stream_options", "kv_cache", "user");

    static final int MAX_STOP = 4;

    static GenerationParams parse(JsonRequest r, ServedModel model, int maxN) {
        int vocab = model.model().vocabSize();
        double temperature = orDefault(r.number("temperature", 0, 2), 1.0);
        double topP = orDefault(r.number("top_p", 0, 1), 1.0);
        if (topP <= 0) {
            throw r.invalid("top_p", "'top_p' must be greater than 0 and at most 1, got " + topP + ".");
        }
        Integer topKRaw = r.integer("top_k", -1, Integer.MAX_VALUE);
        int topK = topKRaw == null || topKRaw < 0 ? 0 : topKRaw;
        double minP = orDefault(r.number("min_p", 0, 1), 0.0);
        double repetition = orDefault(r.number("repetition_penalty", 0, 10), 1.0);
        if (repetition <= 0) {
            throw r.invalid("repetition_penalty", "'repetition_penalty' must be greater than 0, got " + repetition + ".");
        }
        double presence = orDefault(r.number("presence_penalty", -2, 2), 0.0);
        double frequency = orDefault(r.number("frequency_penalty", -2, 2), 0.0);
        Long seed = r.longInteger("seed");
        Map<Integer, Float> logitBias = logitBias(r, vocab);

        List<String> stop = r.stringOrStrings("stop", MAX_STOP);
        if (stop != null && stop.stream().anyMatch(String::isEmpty)) {
            throw r.invalid("stop", "'stop' strings must not be empty.");
        }
        Set<Integer> stopTokenIds = tokenIds(r, "stop_token_ids", vocab);
        boolean ignoreEos = r.bool("ignore_eos", false);
        int n = orDefault(r.integer("n", 1, maxN), 1);
        r.string("user");

        boolean stream = r.bool("stream", false);
        boolean includeUsage = false;
        JsonRequest options = r.object("stream_options");
        if (options != null) {
            if (!stream) {
                throw r.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.");
            }
            options.rejectUnknown(Set.of("include_usage"));
            includeUsage = options.bool("include_usage", false);
        }

        KvCacheSettings requested = kvCache(r);
        KVCacheConfig kv;
        try {
            kv = requested.over(model.kvCacheDefaults()).toConfig();
        } catch (InvalidKVCacheConfigException e) {
            throw ApiErrors.invalidKvCache(e);
        }
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, null, repetition, presence,
                frequency, logitBias);
        return new GenerationParams(sampling, seed, stop == null ? List.of() : stop, stopTokenIds, ignoreEos, n, kv,
                stream, includeUsage);
    }

    /** The sampling parameters of choice {@code i}: with a seed, choice i uses seed + i so choices differ yet repeat. */
    SamplingParams samplingFor(int choice) {
        Long s = seed == null ? null : seed + choice;
        SamplingParams p = sampling;
        return new SamplingParams(p.temperature(), p.topK(), p.topP(), p.minP(), s, p.repetitionPenalty(),
                p.presencePenalty(), p.frequencyPenalty(), p.logitBias());
    }

    static final Set<String> KV_FIELDS = Set.of("method", "bits", "num_residuals", "value_bits", "group_size", "window_size",
            "codebook");

    /** {@code kv_cache}: an object of the fields above, or just a method name as a string. */
    static KvCacheSettings kvCache(JsonRequest r) {
        JsonNode raw = r.raw("kv_cache");
        if (raw == null) {
            return KvCacheSettings.NONE;
        }
        if (raw.isString()) {
            return new KvCacheSettings(method(raw.stringValue()), null, null, null, null, null, null);
        }
        JsonRequest kv = r.object("kv_cache");
        kv.rejectUnknown(KV_FIELDS);
        String m = kv.string("method");
        long big = Integer.MAX_VALUE;
        return new KvCacheSettings(m == null ? null : method(m),
                kv.integer("bits", -big, big), kv.integer("num_residuals", -big, big),
                kv.integer("value_bits", -big, big), kv.integer("group_size", -big, big),
                kv.integer("window_size", -big, big), codebook(kv));
    }

    /**
     * {@code kv_cache.codebook}: {@code "none"} (calibration-free commvq) or the name of a codebook file
     * in the model's directory. Clients never name other paths: the server's file system is not
     * theirs to probe (the operator's yml may name any path).
     */
    private static Path codebook(JsonRequest kv) {
        String name = kv.string("codebook");
        if (name == null) {
            return null;
        }
        if (name.isBlank() || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
            throw kv.invalid("codebook", "'codebook' must be 'none' or the name of a codebook file in the model's directory"
                    + " (e.g. commvq-codebook-b2r2.bin), not a path.");
        }
        return Path.of(name);
    }

    private static KVCacheMethod method(String name) {
        try {
            return KVCacheMethod.parse(name);
        } catch (InvalidKVCacheConfigException e) {
            throw ApiErrors.invalidKvCache(e);
        }
    }

    private static Map<Integer, Float> logitBias(JsonRequest r, int vocab) {
        JsonRequest bias = r.object("logit_bias");
        if (bias == null) {
            return Map.of();
        }
        Map<Integer, Float> out = new HashMap<>();
        for (String key : bias.node().propertyNames()) {
            int id;
            try {
                id = Integer.parseInt(key.trim());
            } catch (NumberFormatException e) {
                throw r.invalid("logit_bias", "'logit_bias' keys must be token ids, got '" + key + "'.");
            }
            if (id < 0 || id >= vocab) {
                throw r.invalid("logit_bias", "'logit_bias' token id " + id + " is outside the vocabulary (0.."
                        + (vocab - 1) + ").");
            }
            out.put(id, bias.number(key, -100, 100).floatValue());
        }
        return out;
    }

    static Set<Integer> tokenIds(JsonRequest r, String name, int vocab) {
        int[] ids = tokenArray(r, name, vocab);
        Set<Integer> out = new LinkedHashSet<>();
        for (int id : ids) {
            out.add(id);
        }
        return out;
    }

    /** An array of token ids within the vocabulary; empty when absent. */
    static int[] tokenArray(JsonRequest r, String name, int vocab) {
        JsonNode n = r.raw(name);
        if (n == null) {
            return new int[0];
        }
        if (!n.isArray()) {
            throw ApiErrors.wrongType(r.param(name), "an array of token ids");
        }
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            long id = JsonRequest.integral(n.get(i), r.param(name));
            if (id < 0 || id >= vocab) {
                throw r.invalid(name, "'" + r.param(name) + "' token id " + id + " is outside the vocabulary (0.."
                        + (vocab - 1) + ").");
            }
            out[i] = (int) id;
        }
        return out;
    }

    private static <T> T orDefault(T v, T d) {
        return v == null ? d : v;
    }
}
