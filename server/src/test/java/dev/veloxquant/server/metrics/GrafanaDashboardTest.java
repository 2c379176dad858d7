package dev.veloxquant.server.metrics;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard JSON and the provisioning files hold together (their queries are checked by PrometheusScrapeTest). */
class GrafanaDashboardTest {
    private static final Path GRAFANA = Path.of("..", "config", "grafana");

    @Test
    void panelsAreWellFormedAndDoNotOverlap() throws Exception {
        JsonNode dash = JsonMapper.builder().build().readTree(Files.readString(GRAFANA.resolve("dashboards/veloxquant.json")));
        assertThat(dash.path("uid").asString()).isEqualTo("veloxquant-kv-cache");
        Set<Integer> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        for (JsonNode p : dash.path("panels")) {
            String title = p.path("title").asString();
            assertThat(ids.add(p.path("id").asInt())).as("unique id of %s", title).isTrue();
            JsonNode g = p.path("gridPos");
            int x = g.path("x").asInt(), y = g.path("y").asInt(), w = g.path("w").asInt(), h = g.path("h").asInt();
            assertThat(w).as("width of %s", title).isPositive();
            assertThat(x + w).as("right edge of %s", title).isLessThanOrEqualTo(24);
            for (int[] b : boxes) {
                boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertThat(overlap).as("%s overlaps another panel", title).isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
            if (p.path("type").asString().equals("row")) {
                continue;
            }
            assertThat(p.path("description").asString()).as("description of %s", title).isNotBlank();
            assertThat(p.path("datasource").path("uid").asString()).isEqualTo("${datasource}");
            assertThat(p.path("targets").size()).as("queries of %s", title).isPositive();
            for (JsonNode t : p.path("targets")) {
                assertThat(t.path("expr").asString()).as("query of %s", title).isNotBlank();
                assertThat(t.path("datasource").path("uid").asString()).isEqualTo("${datasource}");
            }
        }
        assertThat(ids).hasSizeGreaterThan(20);
        List<String> vars = new ArrayList<>();
        dash.path("templating").path("list").forEach(v -> vars.add(v.path("name").asString()));
        assertThat(vars).containsExactly("datasource", "job", "model", "method");
    }

    @Test
    @SuppressWarnings("unchecked")
    void provisioningPointsAtTheDashboardFolderAndAPrometheusDatasource() throws Exception {
        Map<String, Object> ds = new Yaml().load(Files.readString(GRAFANA.resolve("provisioning/datasources/prometheus.yml")));
        Map<String, Object> source = ((List<Map<String, Object>>) ds.get("datasources")).getFirst();
        assertThat(source).containsEntry("type", "prometheus").containsEntry("uid", "prometheus");
        Map<String, Object> dp = new Yaml().load(Files.readString(GRAFANA.resolve("provisioning/dashboards/veloxquant.yml")));
        Map<String, Object> provider = ((List<Map<String, Object>>) dp.get("providers")).getFirst();
        assertThat(provider).containsEntry("type", "file");
        assertThat(((Map<String, Object>) provider.get("options")).get("path")).isEqualTo("/var/lib/grafana/dashboards/veloxquant");
    }
}
