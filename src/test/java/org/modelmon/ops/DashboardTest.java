package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard works in any Grafana (its data source is a variable, not a uid of the
 * Compose stack), shows one deployment at a time when one Prometheus scrapes several (namespace
 * and job variables that every query filters on), has a health row for what the runbook tells
 * people to check, and the runbook names its panels as they are titled.
 */
class DashboardTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** An italic span of Markdown, *like this*, not **bold**: the runbook's panel names. */
  private static final Pattern ITALIC =
      Pattern.compile("(?<![*\\w])\\*(?!\\*)([^*]+?)(?<!\\*)\\*(?![*\\w])");

  /** A label_values(series, label) variable query; group 1 is the series selector. */
  private static final Pattern LABEL_VALUES =
      Pattern.compile("^\\s*label_values\\s*\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$");

  /** kubectl apply keeps the whole object in an annotation, which may hold at most 256 KiB. */
  private static final int MAX_CONFIGMAP_BYTES = 256 * 1024;

  @Test
  void shouldTakeItsDataSourceFromAVariable() throws Exception {
    final JsonNode dashboard = dashboard();
    final JsonNode variable = dashboard.at("/templating/list/0");

    assertThat(variable.path("type").asText()).isEqualTo("datasource");
    assertThat(variable.path("name").asText()).isEqualTo("datasource");
    assertThat(variable.path("query").asText()).isEqualTo("prometheus");
    final List<JsonNode> dataSources = dashboard.findValues("datasource");
    assertThat(dataSources).hasSizeGreaterThan(20);
    for (final JsonNode dataSource : dataSources) {
      if (dataSource.isObject() && !"grafana".equals(dataSource.path("type").asText())) {
        assertThat(dataSource.path("type").asText()).isEqualTo("prometheus");
        assertThat(dataSource.path("uid").asText()).isEqualTo("${datasource}");
      } else {
        assertThat(dataSource.isTextual())
            .as("a data source given by name: %s", dataSource)
            .isFalse();
      }
    }
  }

  @Test
  void shouldShowTheInstancesHealthInARow() throws Exception {
    final List<JsonNode> row = rowPanels("Health");
    final Set<String> metrics = new TreeSet<>();
    for (final JsonNode panel : row) {
      for (final JsonNode target : panel.path("targets")) {
        metrics.addAll(
            PromQl.metricNames(PromQlReferencesTest.grafanaToPromQl(target.path("expr").asText())));
      }
    }

    assertThat(metrics)
        .contains(
            "modelmon_ready", // ready instances
            "kafka_consumer_coordinator_rebalance_total", // rebalances
            "topic:kafka_consumer_fetch_manager_records_lag:sum", // consumer lag
            "jvm_memory_used_bytes", // heap
            "jvm_gc_pause_seconds_sum", // GC
            "process_cpu_usage", // CPU
            "process_start_time_seconds", // restarts
            "kafka_stream_state_block_cache_usage"); // RocksDB memory
    assertThat(row)
        .allSatisfy(panel -> assertThat(panel.path("description").asText()).isNotBlank());
  }

  @Test
  void shouldNameInTheRunbookOnlyPanelsThatTheDashboardHas() throws Exception {
    final Set<String> titles = panelTitles(dashboard().path("panels"), new LinkedHashSet<>());
    final Set<String> named = new TreeSet<>();
    final Matcher italic =
        ITALIC.matcher(Files.readString(PrometheusRulesTest.RUNBOOK, StandardCharsets.UTF_8));
    while (italic.find()) {
      named.add(italic.group(1).replaceAll("\\s+", " "));
    }

    assertThat(named)
        .as("panel names (in italics) in %s", PrometheusRulesTest.RUNBOOK)
        .hasSizeGreaterThan(10);
    assertThat(titles).as("the dashboard's panel titles").containsAll(named);
  }

  @Test
  void shouldOfferNamespaceAndJobVariablesThatMatchAnAbsentLabelToo() throws Exception {
    final Map<String, JsonNode> variables = new LinkedHashMap<>();
    for (final JsonNode variable : dashboard().at("/templating/list")) {
      variables.put(variable.path("name").asText(), variable);
    }

    assertThat(variables.keySet())
        .containsSubsequence("datasource", "namespace", "job", "model", "version", "window");
    for (final String name : List.of("namespace", "job")) {
      final JsonNode variable = variables.get(name);
      assertThat(variable.path("type").asText()).as(name).isEqualTo("query");
      assertThat(variable.at("/query/query").asText())
          .as(name)
          .startsWith("label_values(modelmon_")
          .endsWith(", " + name + ")");
      assertThat(variable.path("includeAll").asBoolean()).as(name).isTrue();
      // ".*" matches the empty value too: series without the label (a Prometheus outside
      // Kubernetes sets no namespace) still show under All.
      assertThat(variable.path("allValue").asText()).as(name).isEqualTo(".*");
    }
    for (final String name : List.of("model", "version", "window")) {
      final String query = variables.get(name).at("/query/query").asText();
      final Matcher labelValues = LABEL_VALUES.matcher(query);
      assertThat(labelValues.matches()).as("%s is label_values(...): %s", name, query).isTrue();
      assertThat(selectorsOf(labelValues.group(1)))
          .as("the %s variable's query", name)
          .allSatisfy(DashboardTest::assertFiltersOnNamespaceAndJob);
    }
  }

  @Test
  void shouldFilterEveryMetricOfEveryPanelOnNamespaceAndJob() throws Exception {
    final JsonNode dashboard = dashboard();
    final Map<String, String> expressions = new LinkedHashMap<>();
    panelExpressions(dashboard.path("panels"), expressions);
    for (final JsonNode annotation : dashboard.at("/annotations/list")) {
      if (annotation.hasNonNull("expr")) {
        expressions.put(
            "annotation " + annotation.path("name").asText(), annotation.get("expr").asText());
      }
    }
    final List<PromQl.Selector> modelmonSelectors = new ArrayList<>();
    final List<String> unfiltered = new ArrayList<>();
    for (final Map.Entry<String, String> expression : expressions.entrySet()) {
      for (final PromQl.Selector selector : PromQl.selectors(expression.getValue())) {
        if (selector.metric().contains("modelmon_")) {
          modelmonSelectors.add(selector);
        }
        if (!filtersOnNamespaceAndJob(selector)) {
          unfiltered.add(expression.getKey() + ": " + selector);
        }
      }
    }

    assertThat(modelmonSelectors).as("selectors of modelmon's metrics").hasSizeGreaterThan(50);
    assertThat(unfiltered).as("selectors without the namespace and job filters").isEmpty();
  }

  @Test
  void shouldTellAFilteredSelectorFromAnUnfilteredOne() {
    assertThat(
            selectorsOf(
                "sum by (namespace, job) (rate(modelmon_predictions_total{"
                    + "namespace=~\"$namespace\", job=~\"$job\", model=\"$model\"}[$__range]))"
                    + " / on (namespace, job) group_left ()"
                    + " sum by (namespace, job) (rate(modelmon_predictions_total{"
                    + "model=\"$model\"}[5m]))"
                    + " + ignoring (job) up{job=~\"$job\"} + modelmon_ready"))
        .extracting(DashboardTest::filtersOnNamespaceAndJob)
        .containsExactly(true, false, false, false);
  }

  @Test
  void shouldFitIntoAConfigMapThatKubectlApplies() throws Exception {
    assertThat(Files.size(PromQlReferencesTest.DASHBOARD)).isLessThan(MAX_CONFIGMAP_BYTES / 2);
  }

  private static JsonNode dashboard() throws Exception {
    return JSON.readTree(Files.readString(PromQlReferencesTest.DASHBOARD, StandardCharsets.UTF_8));
  }

  /** The panels below the row whose title starts with {@code prefix}, up to the next row. */
  private static List<JsonNode> rowPanels(final String prefix) throws Exception {
    final List<JsonNode> panels = new ArrayList<>();
    boolean inRow = false;
    for (final JsonNode panel : dashboard().path("panels")) {
      if ("row".equals(panel.path("type").asText())) {
        inRow = panel.path("title").asText().startsWith(prefix);
        if (inRow) {
          panel.path("panels").forEach(panels::add); // a collapsed row holds its panels
        }
      } else if (inRow) {
        panels.add(panel);
      }
    }
    assertThat(panels).as("panels of the row %s", prefix).isNotEmpty();
    return panels;
  }

  private static List<PromQl.Selector> selectorsOf(final String expression) {
    final List<PromQl.Selector> selectors = PromQl.selectors(expression);
    assertThat(selectors).as("selectors of %s", expression).isNotEmpty();
    return selectors;
  }

  private static boolean filtersOnNamespaceAndJob(final PromQl.Selector selector) {
    return selector.has("namespace", "=~", "$namespace") && selector.has("job", "=~", "$job");
  }

  private static void assertFiltersOnNamespaceAndJob(final PromQl.Selector selector) {
    assertThat(filtersOnNamespaceAndJob(selector))
        .as("%s filters on namespace=~\"$namespace\" and job=~\"$job\"", selector)
        .isTrue();
  }

  /** Every panel query's expression, by panel title and refId, panels of collapsed rows too. */
  private static void panelExpressions(final JsonNode panels, final Map<String, String> out) {
    for (final JsonNode panel : panels) {
      for (final JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.put(
              "panel \"" + panel.path("title").asText() + "\" query "
                  + target.path("refId").asText(),
              target.get("expr").asText());
        }
      }
      panelExpressions(panel.path("panels"), out);
    }
  }

  private static Set<String> panelTitles(final JsonNode panels, final Set<String> titles) {
    for (final JsonNode panel : panels) {
      titles.add(panel.path("title").asText());
      panelTitles(panel.path("panels"), titles);
    }
    return titles;
  }
}
