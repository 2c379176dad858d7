package dev.veloxquant.server.metrics;

import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL expressions of the Grafana dashboard and the alert rules, turned into queries that must
 * return data against a live server: dashboard variables are replaced by "all" values, and alert
 * conditions lose their threshold (a comparison becomes {@code bool}, {@code absent(x)} becomes
 * {@code x}) so that a quiet, healthy server still shows that every series the alert reads exists.
 */
final class PromQueries {
    /** Where a query came from (panel title and refId, or alert name) and the query itself. */
    record Query(String source, String promql) {
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*(\\w+)\\)$");
    private static final Pattern COMPARISON_AT_END = Pattern.compile("(==|!=|>=|<=|>|<)\\s*(-?[0-9.eE+]+)\\s*$");

    private PromQueries() {
    }

    static List<Query> dashboard(Path json) throws IOException {
        JsonNode root = JsonMapper.builder().build().readTree(Files.readString(json));
        List<Query> out = new ArrayList<>();
        for (JsonNode panel : root.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString("");
                if (!expr.isBlank()) {
                    out.add(new Query("panel '" + panel.path("title").asString() + "' " + target.path("refId").asString(),
                            substituteVariables(expr)));
                }
            }
        }
        for (JsonNode var : root.path("templating").path("list")) {
            if ("query".equals(var.path("type").asString())) {
                String q = var.path("query").isObject() ? var.path("query").path("query").asString() : var.path("query").asString();
                Matcher m = LABEL_VALUES.matcher(q.trim());
                if (!m.matches()) {
                    throw new IllegalArgumentException("variable " + var.path("name").asString() + ": only label_values(metric, label) is checked, got " + q);
                }
                out.add(new Query("variable $" + var.path("name").asString(),
                        substituteVariables("count by (" + m.group(2) + ") (" + m.group(1) + ")")));
            }
        }
        return out;
    }

    /** Grafana's variables as "All" / a one-minute rate window. */
    static String substituteVariables(String expr) {
        String s = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "5m")
                .replace("$job", "veloxquant").replace("$model", ".*").replace("$method", ".*");
        if (s.contains("$")) {
            throw new IllegalArgumentException("unknown Grafana variable in " + expr);
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    static List<Query> alertRules(Path yml) throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(yml));
        List<Query> out = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                String expr = String.valueOf(rule.get("expr")).trim();
                if (rule.containsKey("record")) {
                    out.add(new Query("record " + rule.get("record"), expr));
                    continue;
                }
                List<String> checks = alertDataChecks(expr);
                for (int i = 0; i < checks.size(); i++) {
                    out.add(new Query("alert " + rule.get("alert") + (checks.size() > 1 ? " operand " + (i + 1) : ""), checks.get(i)));
                }
            }
        }
        return out;
    }

    /** Alerting and recording rules in the file. */
    @SuppressWarnings("unchecked")
    static int alertRuleCount(Path yml) throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(yml));
        int n = 0;
        for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
            n += ((List<?>) group.get("rules")).size();
        }
        return n;
    }

    /** The queries that show an alert's inputs exist; see the class comment. */
    static List<String> alertDataChecks(String expr) {
        List<String> out = new ArrayList<>();
        for (String operand : splitTopLevel(expr, List.of("and", "or", "unless"))) {
            String o = stripOuterParens(operand.trim());
            if (o.startsWith("absent(") && closingParen(o, "absent".length()) == o.length() - 1) {
                out.add(o.substring("absent(".length(), o.length() - 1).trim());
                continue;
            }
            int op = lastTopLevelComparison(o);
            if (op < 0) {
                out.add(o);
            } else {
                Matcher m = COMPARISON_AT_END.matcher(o.substring(op));
                if (!m.matches()) {
                    throw new IllegalArgumentException("alert expression must end in '<op> <number>': " + expr);
                }
                out.add(o.substring(0, op).trim() + " " + m.group(1) + " bool " + m.group(2));
            }
        }
        return out;
    }

    static List<String> splitTopLevel(String expr, List<String> keywords) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '"' && (i == 0 || expr.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && (c == '(' || c == '[' || c == '{')) {
                depth++;
            } else if (!quoted && (c == ')' || c == ']' || c == '}')) {
                depth--;
            } else if (!quoted && depth == 0 && c == ' ') {
                for (String k : keywords) {
                    if (expr.startsWith(" " + k + " ", i) || expr.startsWith(" " + k + "(", i)) {
                        parts.add(expr.substring(start, i));
                        start = i + k.length() + 1;
                        i = start - 1;
                        break;
                    }
                }
            }
        }
        parts.add(expr.substring(start));
        return parts;
    }

    private static String stripOuterParens(String s) {
        while (s.startsWith("(") && closingParen(s, 0) == s.length() - 1) {
            s = s.substring(1, s.length() - 1).trim();
        }
        return s;
    }

    /** Index of the parenthesis closing the one at {@code open}. */
    private static int closingParen(String s, int open) {
        int depth = 0;
        boolean quoted = false;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '(') {
                depth++;
            } else if (!quoted && c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Start of the last comparison operator outside parentheses, braces, brackets and quotes, or -1. */
    private static int lastTopLevelComparison(String s) {
        int depth = 0;
        boolean quoted = false;
        int found = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == '(' || c == '[' || c == '{')) {
                depth++;
            } else if (!quoted && (c == ')' || c == ']' || c == '}')) {
                depth--;
            } else if (!quoted && depth == 0 && (c == '>' || c == '<' || c == '=' || c == '!')) {
                boolean two = i + 1 < s.length() && s.charAt(i + 1) == '=';
                if (c == '=' && !two || c == '!' && !two) {
                    continue;
                }
                found = i;
                if (two) {
                    i++;
                }
            }
        }
        return found;
    }
}
