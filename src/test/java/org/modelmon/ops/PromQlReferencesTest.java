package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PromQL expression of the Prometheus rules and of the Grafana dashboard parses (promtool)
 * and selects only metrics modelmon exports or rules it records: a renamed metric breaks the build,
 * not the dashboard on the day it is needed.
 */
class PromQlReferencesTest {

  static final Path DASHBOARD = Path.of("grafana/dashboards/modelmon.json");

  private static final String METRICS_PACKAGE = "org.modelmon.metrics";

  /**
   * Names the rules and dashboard may select that modelmon's own collectors (the constants of
   * org.modelmon.metrics) do not define. Each was seen on a scrape of modelmon 0.1.0 with Kafka
   * 4.4.0 and Micrometer 1.17.2 (the demo, metrics.recording.level INFO), or is Prometheus' own.
   */
  static final Map<String, String> ALLOWED =
      Map.ofEntries(
          Map.entry("up", "Prometheus: 1 when the target's last scrape succeeded"),
          Map.entry("ALERTS", "Prometheus: one series per pending or firing alert"),
          Map.entry(
              "kafka_consumer_fetch_manager_records_lag",
              "Micrometer KafkaStreamsMetrics: Kafka consumer records-lag per assigned partition"
                  + " (labels client_id, topic, partition)"),
          Map.entry(
              "kafka_consumer_fetch_manager_records_lag_max",
              "Micrometer KafkaStreamsMetrics: Kafka consumer records-lag-max per partition"),
          Map.entry(
              "kafka_stream_client_state",
              "Micrometer KafkaStreamsMetrics: Kafka Streams client-state (KIP-1091), the"
                  + " KafkaStreams.State ordinal; 2 = RUNNING"),
          Map.entry(
              "kafka_stream_thread_thread_state",
              "Micrometer KafkaStreamsMetrics: Kafka Streams thread-state, the StreamThread.State"
                  + " ordinal"),
          Map.entry(
              "kafka_stream_alive_stream_threads",
              "Micrometer KafkaStreamsMetrics: Kafka Streams alive-stream-threads"),
          Map.entry(
              "kafka_consumer_coordinator_rebalance_total",
              "Micrometer KafkaStreamsMetrics: Kafka consumer rebalance-total (classic group"
                  + " protocol), per client_id"),
          Map.entry(
              "kafka_consumer_coordinator_failed_rebalance_total",
              "Micrometer KafkaStreamsMetrics: Kafka consumer failed-rebalance-total"),
          Map.entry(
              "kafka_stream_state_block_cache_usage",
              "Micrometer KafkaStreamsMetrics: Kafka Streams RocksDB property metric"
                  + " block-cache-usage (KIP-607, recording level INFO), per store and task"),
          Map.entry(
              "kafka_stream_state_block_cache_capacity",
              "Micrometer KafkaStreamsMetrics: Kafka Streams RocksDB block-cache-capacity"),
          Map.entry(
              "kafka_stream_state_size_all_mem_tables",
              "Micrometer KafkaStreamsMetrics: Kafka Streams RocksDB size-all-mem-tables"),
          Map.entry("jvm_memory_used_bytes", "Micrometer JvmMemoryMetrics"),
          Map.entry(
              "jvm_memory_max_bytes", "Micrometer JvmMemoryMetrics; -1 for a pool without a limit"),
          Map.entry("jvm_gc_pause_seconds_sum", "Micrometer JvmGcMetrics"),
          Map.entry("jvm_gc_pause_seconds_count", "Micrometer JvmGcMetrics"),
          Map.entry("process_cpu_usage", "Micrometer ProcessorMetrics"),
          Map.entry("process_start_time_seconds", "Micrometer UptimeMetrics"),
          Map.entry("process_uptime_seconds", "Micrometer UptimeMetrics"));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final Pattern LABEL_VALUES =
      Pattern.compile("^\\s*label_values\\s*\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$",
          Pattern.DOTALL);
  private static final Pattern QUERY_RESULT =
      Pattern.compile("^\\s*query_result\\s*\\((.*)\\)\\s*$", Pattern.DOTALL);
  private static final Pattern GRAFANA_INTERVAL =
      Pattern.compile(
          "\\$__(rate_interval|interval|range)\\b|\\$\\{__(rate_interval|interval|range)}");
  // ${name}, ${name:format}, $name and the deprecated [[name]]
  private static final Pattern GRAFANA_VARIABLE =
      Pattern.compile(
          "\\$\\{[A-Za-z0-9_]+(:[A-Za-z0-9_]+)?}|\\$[A-Za-z_][A-Za-z0-9_]*|\\[\\[[A-Za-z0-9_]+]]");

  /** One expression and where it comes from. */
  record Expression(String source, String promQl) {}

  @TempDir Path temp;

  @Test
  void shouldParseEveryExpressionOfTheRulesAndTheDashboard() throws Exception {
    final List<Expression> expressions = allExpressions();
    final ObjectNode rules = YAML.createObjectNode();
    final ArrayNode checks =
        rules.putArray("groups").addObject().put("name", "promql-references").putArray("rules");
    final StringBuilder legend = new StringBuilder();
    for (int i = 0; i < expressions.size(); i++) {
      checks.addObject().put("record", "modelmon_check:expression_" + i)
          .put("expr", expressions.get(i).promQl());
      legend.append(String.format("  rule %d: %s%n", i + 1, expressions.get(i).source()));
    }
    final Path file = temp.resolve("promql-references.yml");
    YAML.writeValue(file.toFile(), rules);

    final Promtool.Result result = Promtool.run("check", "rules", file.toString());

    assertThat(result.exitCode())
        .as("promtool check rules on every expression:%n%s%nrules by source:%n%s",
            result.output(), legend)
        .isZero();
  }

  @Test
  void shouldSelectOnlyExportedMetricsAndRecordedRules() throws Exception {
    final Set<String> exported = exportedMetricNames();
    final Set<String> recorded = recordedNames();
    final Map<String, Set<String>> unknown = new TreeMap<>();
    for (final Expression expression : allExpressions()) {
      for (final String name : PromQl.metricNames(expression.promQl())) {
        if (!exported.contains(name) && !recorded.contains(name) && !ALLOWED.containsKey(name)) {
          unknown.computeIfAbsent(name, n -> new TreeSet<>()).add(expression.source());
        }
      }
    }

    assertThat(unknown)
        .as("metric names that modelmon does not export (org.modelmon.metrics constants), that"
            + " %s does not record, and that are not in ALLOWED, with where they are used",
            PrometheusRuleGenerator.RULES)
        .isEmpty();
  }

  @Test
  void shouldKnowModelmonsExportedNames() throws Exception {
    // Guards the reflection above: an empty list would let every unknown name through.
    assertThat(exportedMetricNames())
        .contains(
            "modelmon_predictions_total",
            "modelmon_invalid_events_total",
            "modelmon_window_log_loss_nats_sum",
            "modelmon_window_end_timestamp_seconds",
            "modelmon_watermark_timestamp_seconds");
  }

  @Test
  void shouldExtractOnlyMetricNamesFromAnExpression() {
    final String expression =
        "sum by (model, version) (rate(foo_total{job=\"a}b\", x=~\"[0-9]+\"}[5m] offset 1d))\n"
            + "  / on (model) group_left (class) bar:baz:ratio5m\n"
            + "  and ignoring (instance) count_values(\"x\", up) > bool 1e-3\n"
            + "  unless without_metric @ 1609746000 # ignored_in_comment\n"
            + "  or max_over_time(qux[1h:5m]) * Inf or vector(0) or label_replace(a_b, 'l', 'v',"
            + " 's', '(.*)') + topk without (x) (3, sum without (y) (z))";

    assertThat(PromQl.metricNames(expression))
        .containsExactly(
            "foo_total", "bar:baz:ratio5m", "up", "without_metric", "qux", "a_b", "z");
  }

  @Test
  void shouldReadExpressionsFromEveryPartOfTheDashboard() throws Exception {
    final List<Expression> dashboard = dashboardExpressions();

    assertThat(dashboard).extracting(Expression::source)
        .anyMatch(source -> source.contains("templating"))
        .anyMatch(source -> source.contains("annotation"))
        .anyMatch(source -> source.contains("panel"));
    assertThat(dashboard).extracting(Expression::promQl)
        .noneMatch(promQl -> promQl.contains("$"))
        .noneMatch(promQl -> promQl.contains("label_values"));
  }

  /** The expressions of every rule and of every part of the dashboard. */
  static List<Expression> allExpressions() throws IOException {
    final List<Expression> expressions = new ArrayList<>(ruleExpressions());
    expressions.addAll(dashboardExpressions());
    return expressions;
  }

  static List<Expression> ruleExpressions() throws IOException {
    final List<Expression> expressions = new ArrayList<>();
    for (final JsonNode group : PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES)
        .path("groups")) {
      for (final JsonNode rule : group.path("rules")) {
        final String name =
            rule.has("alert") ? "alert " + rule.get("alert").asText()
                : "record " + rule.path("record").asText();
        expressions.add(
            new Expression(
                PrometheusRuleGenerator.RULES + ": " + name, rule.path("expr").asText()));
      }
    }
    return expressions;
  }

  static List<Expression> dashboardExpressions() throws IOException {
    final JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
    final List<Expression> expressions = new ArrayList<>();
    panelExpressions(dashboard.path("panels"), expressions);
    for (final JsonNode variable : dashboard.path("templating").path("list")) {
      if (!"query".equals(variable.path("type").asText())) {
        continue;
      }
      final JsonNode query = variable.path("query");
      final String text = query.isObject() ? query.path("query").asText() : query.asText();
      expressions.add(
          new Expression(
              DASHBOARD + ": templating variable " + variable.path("name").asText(),
              grafanaToPromQl(text)));
    }
    for (final JsonNode annotation : dashboard.path("annotations").path("list")) {
      if (annotation.hasNonNull("expr")) {
        expressions.add(
            new Expression(
                DASHBOARD + ": annotation " + annotation.path("name").asText(),
                grafanaToPromQl(annotation.get("expr").asText())));
      }
    }
    return expressions;
  }

  private static void panelExpressions(final JsonNode panels, final List<Expression> out) {
    for (final JsonNode panel : panels) {
      for (final JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.add(
              new Expression(
                  DASHBOARD + ": panel \"" + panel.path("title").asText() + "\" query "
                      + target.path("refId").asText(),
                  grafanaToPromQl(target.get("expr").asText())));
        }
      }
      panelExpressions(panel.path("panels"), out); // panels of a collapsed row
    }
  }

  /**
   * The PromQL Grafana would send: the query of a label_values(...) or query_result(...)
   * variable, with intervals and variables replaced by values of the right shape.
   */
  static String grafanaToPromQl(final String query) {
    String promQl = query;
    Matcher matcher = LABEL_VALUES.matcher(promQl);
    if (matcher.matches()) {
      promQl = matcher.group(1);
    } else {
      matcher = QUERY_RESULT.matcher(promQl);
      if (matcher.matches()) {
        promQl = matcher.group(1);
      }
    }
    promQl = GRAFANA_INTERVAL.matcher(promQl).replaceAll("5m");
    return GRAFANA_VARIABLE.matcher(promQl).replaceAll("x");
  }

  /** The names recorded by the rules file. */
  static Set<String> recordedNames() throws IOException {
    final Set<String> names = new TreeSet<>();
    for (final JsonNode group : PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES)
        .path("groups")) {
      for (final JsonNode rule : group.path("rules")) {
        if (rule.hasNonNull("record")) {
          names.add(rule.get("record").asText());
        }
      }
    }
    return names;
  }

  /**
   * The metric names modelmon exports: the values of the String constants of the classes in
   * org.modelmon.metrics that are metric names.
   */
  static Set<String> exportedMetricNames() throws IOException, ReflectiveOperationException {
    final String directory = METRICS_PACKAGE.replace('.', '/');
    // Every directory of the package on the class path: the test classes have one too.
    final List<URL> urls =
        Collections.list(PromQlReferencesTest.class.getClassLoader().getResources(directory));
    assertThat(urls).as("classes of %s", METRICS_PACKAGE).isNotEmpty();
    final Set<String> names = new TreeSet<>();
    for (final URL url : urls) {
      final Path classes;
      try {
        classes = Path.of(url.toURI());
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(classes, "*.class")) {
        for (final Path file : files) {
          final String simpleName = file.getFileName().toString().replaceFirst("\\.class$", "");
          final Class<?> type =
              Class.forName(
                  METRICS_PACKAGE + "." + simpleName,
                  true,
                  PromQlReferencesTest.class.getClassLoader());
          for (final Field field : type.getDeclaredFields()) {
            final int modifiers = field.getModifiers();
            if (field.getType() == String.class
                && Modifier.isStatic(modifiers)
                && Modifier.isFinal(modifiers)) {
              field.setAccessible(true);
              final Object value = field.get(null);
              if (value instanceof String name && name.matches("modelmon_[a-z0-9_]+")) {
                names.add(name);
              }
            }
          }
        }
      }
    }
    return names;
  }
}
