package dev.veloxquant.server.metrics;

import java.util.regex.Pattern;

/** Keeps label values bounded: an unexpected value collapses to {@code other} instead of opening a new series. */
final class MetricLabels {
    private static final Pattern CODE = Pattern.compile("[a-z0-9_]{1,48}");

    private MetricLabels() {
    }

    /** An OpenAI error code such as {@code rate_limit_exceeded}; anything else is {@code other}. */
    static String errorType(String code) {
        if (code == null) {
            return "unknown";
        }
        return CODE.matcher(code).matches() ? code : "other";
    }
}
