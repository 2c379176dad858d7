package dev.veloxquant.engine.model;

import dev.veloxquant.cache.RopeLayout;
import dev.veloxquant.cache.RotaryEmbedding;
import dev.veloxquant.engine.safetensors.UnsupportedModelException;
import tools.jackson.databind.JsonNode;

/**
 * RoPE base and scaling as config.json states them: {@code rope_theta} + {@code rope_scaling}
 * (transformers 4) or {@code rope_parameters} (transformers 5). Types: default, linear, llama3.
 */
public record RopeScaling(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    public static RopeScaling fromConfig(JsonNode c) {
        JsonNode params = c.get("rope_parameters");
        JsonNode scaling = c.get("rope_scaling");
        double theta = c.path("rope_theta").asDouble(10000.0);
        JsonNode s = null;
        if (params != null && params.isObject()) {
            s = params;
            theta = params.path("rope_theta").asDouble(theta);
        } else if (scaling != null && scaling.isObject()) {
            s = scaling;
        }
        if (s == null) {
            return new RopeScaling("default", theta, 1, 1, 1, 0);
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asString() : s.path("type").asString("default");
        return switch (type) {
            case "default" -> new RopeScaling("default", theta, 1, 1, 1, 0);
            case "linear" -> new RopeScaling("linear", theta, required(s, "factor"), 1, 1, 0);
            case "llama3" -> new RopeScaling("llama3", theta, required(s, "factor"), required(s, "low_freq_factor"),
                    required(s, "high_freq_factor"), (int) required(s, "original_max_position_embeddings"));
            default -> throw new UnsupportedModelException("config.json: rope scaling type '" + type
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static double required(JsonNode s, String field) {
        JsonNode n = s.get(field);
        if (n == null || !n.isNumber()) {
            throw new UnsupportedModelException("config.json: rope scaling field '" + field + "' is missing");
        }
        return n.asDouble();
    }

    /** Inverse frequencies with the scaling applied, computed in fp32 like transformers. */
    public float[] inverseFrequencies(int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = (float) (1.0 / Math.pow(theta, exponent));
        }
        switch (type) {
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
            }
            case "llama3" -> {
                double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
                double highFreqWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < inv.length; i++) {
                    double f = inv[i];
                    double wavelen = 2 * Math.PI / f;
                    double scaled = wavelen > lowFreqWavelen ? f / factor : f;
                    if (!(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = (float) scaled;
                }
            }
            default -> {
            }
        }
        return inv;
    }

    public RotaryEmbedding embedding(int headDim, RopeLayout layout) {
        return new RotaryEmbedding(headDim, inverseFrequencies(headDim), layout);
    }
}
