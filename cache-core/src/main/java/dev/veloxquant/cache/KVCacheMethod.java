package dev.veloxquant.cache;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The KV-cache methods a request may choose; {@link #id()} is the name used in the API and in config files. */
public enum KVCacheMethod {
    FP16("fp16"),
    INT8("int8"),
    INT4("int4"),
    INT2("int2"),
    COMMVQ("commvq"),
    TURBOQUANT("turboquant");

    private final String id;

    KVCacheMethod(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Parses an API name such as {@code "int4"}; unknown names fail with the list of allowed ones. */
    public static KVCacheMethod parse(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (KVCacheMethod m : values()) {
                if (m.id.equals(n)) {
                    return m;
                }
            }
        }
        throw new InvalidKVCacheConfigException("method",
                "unknown KV-cache method '" + name + "'; allowed: " + allowedNames());
    }

    public static String allowedNames() {
        return Arrays.stream(values()).map(KVCacheMethod::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
