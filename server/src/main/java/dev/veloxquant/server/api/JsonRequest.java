package dev.veloxquant.server.api;

import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.error.ApiException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Typed, strict access to a JSON request object. Every accessor names the parameter in its error
 * (with the nesting prefix, e.g. {@code kv_cache.bits}); an explicit {@code null} counts as absent,
 * as OpenAI clients send it for unset fields.
 */
final class JsonRequest {
    private final ObjectNode node;
    private final String prefix;

    JsonRequest(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static JsonRequest root(ObjectNode node) {
        return new JsonRequest(node, "");
    }

    String param(String name) {
        return prefix + name;
    }

    /** Fails on the first field not in {@code known}. */
    void rejectUnknown(Set<String> known) {
        for (String name : node.propertyNames()) {
            if (!known.contains(name)) {
                throw ApiErrors.unknownParameter(param(name));
            }
        }
    }

    /** Fails when a field the server knows but cannot honour is set to anything but null or an allowed value. */
    void rejectUnsupported(String name, String why) {
        if (has(name)) {
            throw ApiErrors.unsupported(param(name), why);
        }
    }

    boolean has(String name) {
        JsonNode n = node.get(name);
        return n != null && !n.isNull();
    }

    JsonNode raw(String name) {
        JsonNode n = node.get(name);
        return n == null || n.isNull() ? null : n;
    }

    String string(String name) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!n.isString()) {
            throw ApiErrors.wrongType(param(name), "a string");
        }
        return n.stringValue();
    }

    Boolean bool(String name) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!n.isBoolean()) {
            throw ApiErrors.wrongType(param(name), "a boolean");
        }
        return n.booleanValue();
    }

    boolean bool(String name, boolean dflt) {
        Boolean b = bool(name);
        return b == null ? dflt : b;
    }

    /** An integer within [min, max]; 2.0 counts as an integer, 2.5 does not. */
    Integer integer(String name, long min, long max) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        long v = integral(n, param(name));
        if (v < min || v > max) {
            throw ApiErrors.invalid(param(name), "'" + param(name) + "' must be between " + min + " and " + max
                    + ", got " + v + ".");
        }
        return (int) v;
    }

    Long longInteger(String name) {
        JsonNode n = raw(name);
        return n == null ? null : integral(n, param(name));
    }

    static long integral(JsonNode n, String param) {
        if (!n.isNumber()) {
            throw ApiErrors.wrongType(param, "an integer");
        }
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) {
                throw ApiErrors.invalid(param, "'" + param + "' is out of range.");
            }
            return n.longValue();
        }
        double d = n.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > 9.0e15) {
            throw ApiErrors.wrongType(param, "an integer");
        }
        return (long) d;
    }

    /** A finite number within [min, max]. */
    Double number(String name, double min, double max) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!n.isNumber()) {
            throw ApiErrors.wrongType(param(name), "a number");
        }
        double v = n.doubleValue();
        if (!Double.isFinite(v) || v < min || v > max) {
            throw ApiErrors.invalid(param(name), "'" + param(name) + "' must be between " + min + " and " + max
                    + ", got " + n + ".");
        }
        return v;
    }

    /** A nested object, as a request of its own whose parameters carry this field's name as prefix. */
    JsonRequest object(String name) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!(n instanceof ObjectNode o)) {
            throw ApiErrors.wrongType(param(name), "an object");
        }
        return new JsonRequest(o, param(name) + ".");
    }

    /** A string or an array of strings. */
    List<String> stringOrStrings(String name, int maxItems) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (n.isString()) {
            out.add(n.stringValue());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isString()) {
                    throw ApiErrors.wrongType(param(name), "a string or an array of strings");
                }
                out.add(e.stringValue());
            }
        } else {
            throw ApiErrors.wrongType(param(name), "a string or an array of strings");
        }
        if (out.size() > maxItems) {
            throw ApiErrors.invalid(param(name), "'" + param(name) + "' takes at most " + maxItems + " entries, got "
                    + out.size() + ".");
        }
        return out;
    }

    ApiException invalid(String name, String message) {
        return ApiErrors.invalid(param(name), message);
    }

    ObjectNode node() {
        return node;
    }
}
