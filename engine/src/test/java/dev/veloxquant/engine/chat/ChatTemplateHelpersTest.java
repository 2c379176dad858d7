package dev.veloxquant.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Python-compatibility helpers behind JinjaChatTemplate. */
class ChatTemplateHelpersTest {

    @Test
    void strftimeFollowsPython() {
        ZonedDateTime t = ZonedDateTime.of(2026, 3, 7, 15, 4, 5, 0, ZoneOffset.UTC);
        assertThat(TemplateFunctions.strftime(t, "%d %b %Y")).isEqualTo("07 Mar 2026");
        assertThat(TemplateFunctions.strftime(t, "%-d %B %y, %A %H:%M:%S %I%p %j %%")).isEqualTo("7 March 26, Saturday 15:04:05 03PM 066 %");
    }

    @Test
    void pysliceClampsAndSteps() {
        assertThat(TemplateFunctions.pyslice(List.of(1, 2, 3, 4), null, null, -1L)).isEqualTo(List.of(4, 3, 2, 1));
        assertThat(TemplateFunctions.pyslice(List.of(1, 2, 3, 4), 1L, null, null)).isEqualTo(List.of(2, 3, 4));
        assertThat(TemplateFunctions.pyslice("ab", -5L, 10L, null)).isEqualTo("ab");
        assertThat(TemplateFunctions.pyslice("a😀bc", null, null, 2L)).isEqualTo("ab");
        assertThat(TemplateFunctions.pyslice(List.of(1, 2, 3), -1L, null, null)).isEqualTo(List.of(3));
    }

    @Test
    void jsonDumpsLikePython() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", List.of(1.5, "x\"\n", true));
        m.put("c", null);
        m.put("d", Map.of());
        assertThat(PythonJson.dumps(m, null)).isEqualTo("{\"a\": 1, \"b\": [1.5, \"x\\\"\\n\", true], \"c\": null, \"d\": {}}");
        assertThat(PythonJson.dumps(List.of(1, List.of()), 2)).isEqualTo("[\n  1,\n  []\n]");
        assertThat(PythonJson.dumps(List.of(2.0, 1e20, "é\u0001"), null)).isEqualTo("[2.0, 1e+20, \"é\\u0001\"]");
    }

    @Test
    void stringSplitFollowsPython() {
        assertThat(PythonStringMethods.split("  a b\n c ", null, -1)).containsExactly("a", "b", "c");
        assertThat(PythonStringMethods.split("a,,b", ",", -1)).containsExactly("a", "", "b");
        assertThat(PythonStringMethods.split("a b c", null, 1)).containsExactly("a", "b c");
        assertThat(PythonStringMethods.strip("xxhixx", "x", true, false)).isEqualTo("hixx");
    }

    @Test
    void rewriterTurnsSlicesAndKeywordArgumentsIntoForms_JinjavaReads() {
        assertThat(JinjaSourceRewriter.rewrite("{% for m in messages[::-1] %}{{ m.content[1:] }}{% endfor %}"))
                .isEqualTo("{% for m in pyslice(messages, none, none, -1) %}{{ pyprint(pyslice(m.content, 1, none, none)) }}{% endfor %}");
        assertThat(JinjaSourceRewriter.rewrite("{%- set ns = namespace(i=messages|length - 1, ok=true) %}"))
                .isEqualTo("{%- set ns = namespace(i=pyvalue(messages|length - 1), ok=true) %}");
        assertThat(JinjaSourceRewriter.rewrite("{% macro f(a, b='x') %}{% endmacro %}")).isEqualTo("{% macro f(a, b='x') %}{% endmacro %}");
        assertThat(JinjaSourceRewriter.rewrite("text {# [1:2] #} {{- x['a:b'] -}} [1:2]"))
                .isEqualTo("text {# [1:2] #} {{- pyprint(x['a:b']) -}} [1:2]");
        assertThat(JinjaSourceRewriter.rewrite("{{ {'a': {'b': 1}} | tojson }}")).isEqualTo("{{ pyprint({'a': {'b': 1 } } | tojson) }}");
        assertThat(JinjaSourceRewriter.rewrite("{% if x in [1, 2] %}")).isEqualTo("{% if x in [1, 2] %}");
    }

    @Test
    void lstripBlocksOnlyStripsIndentationAtTheStartOfALine() {
        assertThat(JinjaSourceRewriter.rewrite("a, {% if t %}x{% endif %}\n   {% if t %}y{% endif %}\n\t{# c #}{{ z }}  {{ w }}"))
                .isEqualTo("a, {% if t %}x{% endif %}\n{% if t %}y{% endif %}\n{# c #}{{ pyprint(z) }}  {{ pyprint(w) }}");
        assertThat(JinjaSourceRewriter.rewrite("  {% if t %}")).isEqualTo("{% if t %}");
    }
}
