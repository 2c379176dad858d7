package dev.veloxquant.server.metrics;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromQueriesTest {

    @Test
    void alertThresholdsBecomeBoolComparisons() {
        assertThat(PromQueries.alertDataChecks("max by (model) (x{job=\"a\"}) > 0.9"))
                .containsExactly("max by (model) (x{job=\"a\"}) > bool 0.9");
        assertThat(PromQueries.alertDataChecks("up{job=\"veloxquant\"} == 0"))
                .containsExactly("up{job=\"veloxquant\"} == bool 0");
        assertThat(PromQueries.alertDataChecks("sum(rate(f{e=~\"a|b\"}[5m])) / clamp_min(sum(rate(s[5m])), 1e-9) > 0.05"))
                .containsExactly("sum(rate(f{e=~\"a|b\"}[5m])) / clamp_min(sum(rate(s[5m])), 1e-9) > bool 0.05");
    }

    @Test
    void operandsOfAndAreCheckedOneByOne() {
        assertThat(PromQueries.alertDataChecks("(min_over_time(w[10m]) > 0) and (deriv(w[10m]) >= 1)"))
                .containsExactly("min_over_time(w[10m]) > bool 0", "deriv(w[10m]) >= bool 1");
    }

    @Test
    void absentChecksItsArgument() {
        assertThat(PromQueries.alertDataChecks("absent(up{job=\"veloxquant\"})")).containsExactly("up{job=\"veloxquant\"}");
    }

    @Test
    void grafanaVariablesAreReplacedAndUnknownOnesRejected() {
        assertThat(PromQueries.substituteVariables("rate(x{job=~\"$job\", model=~\"$model\"}[$__rate_interval])"))
                .isEqualTo("rate(x{job=~\"veloxquant\", model=~\".*\"}[1m])");
        assertThatThrownBy(() -> PromQueries.substituteVariables("x{a=\"$tenant\"}")).hasMessageContaining("$tenant");
    }

    @Test
    void readsEveryPanelQueryVariableAndAlertOfTheShippedConfig() throws Exception {
        List<PromQueries.Query> dash = PromQueries.dashboard(Path.of("../config/grafana/dashboards/veloxquant.json"));
        assertThat(dash).hasSizeGreaterThan(30);
        assertThat(dash).anySatisfy(q -> assertThat(q.source()).startsWith("variable $model"));
        List<PromQueries.Query> alerts = PromQueries.alertRules(Path.of("../config/alert-rules.yml"));
        assertThat(alerts).extracting(PromQueries.Query::source).contains(
                "alert VeloxQuantKvCacheBudgetHigh", "alert VeloxQuantWaitingQueueGrowing operand 2",
                "alert VeloxQuantMetricsAbsent");
        assertThat(alerts).allSatisfy(q -> assertThat(q.promql()).doesNotContain("absent("));
    }
}
